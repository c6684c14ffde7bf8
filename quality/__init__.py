"""Expectation suites, the promotion gate and the blocking asset checks that run it."""
