# Study 3 rules: see the issue text; filled in by the study implementation.
STUDY3_TARGETS = []
