"""spamhdr benchmarks: run each as ``python -m benchmarks.<name>``; never collected by pytest."""
