"""Rules for the defects model-written rows have (issue-driven: see the README's "Defect
rules"): each a filter step of its own, judging each field, turn and side of a row through
its units (`units.py`) and naming the rule, field, turn and offending span in evidence."""
