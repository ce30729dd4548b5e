"""督查通报: a bureau's circulars on its member hospitals and their 整改 answers (docs/architecture.md)."""
