"""Grading a class: the batch run, its inputs, the gradebook it writes and the summary it prints."""
