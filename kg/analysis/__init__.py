"""The meta-synthesis analytics: entropy weights, coder agreement (and, next, the rest)."""
