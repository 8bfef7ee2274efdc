"""Sentinel's long-running fuzzer: `python -m fuzz [--minutes N] [--corpus DIR] [--config DIR]`.

Mutates real pages (the corpus named by --corpus or SENTINEL_CORPUS) and the shipped
configuration, and feeds them to Sentinel's entry points for hostile input: list and detail
extraction of every source kind and preset, charset decoding, dates, counts, URLs and the
config loader. An input that raises anything but the entry point's documented error, takes
over 2 s of CPU or raises the process's peak memory by over 300 MB is saved under
fuzz/findings/ with what it did. The property tests in tests/property/ are the quick, CI-sized
version of the same promises.
"""
