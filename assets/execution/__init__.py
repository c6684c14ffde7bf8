"""Running untrusted code: the bubblewrap sandbox, and what its results mean for a row."""
