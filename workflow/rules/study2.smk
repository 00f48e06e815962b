# Study 2 rules: see the issue text; filled in by the study implementation.
STUDY2_TARGETS = []
