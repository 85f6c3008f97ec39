"""The domain answers the routes share, below the routes and above the named queries.

Routes parse a request, call a service, render the answer; no route imports another. A
service runs named queries (api.named) and builds the response models. What does not change
between builds of the embedded store is computed once per build and kept with it
(`build.once`); a remote store may be republished at any time, so it is asked every time.
"""
