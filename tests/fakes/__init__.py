"""Protocol-level fake servers for the platforms' HTTP APIs, served on 127.0.0.1 in a thread.

Each fake speaks the documented wire format (paths, bodies, status codes,
rate-limit headers, error payloads) so the real client libraries run against
it unmodified. Nothing here is imported by `syndicate` itself.
"""
