# Study 1 rules: see the issue text; filled in by the study implementation.
STUDY1_TARGETS = []
