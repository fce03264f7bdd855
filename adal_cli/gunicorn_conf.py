"""gunicorn settings shared by both apps (command-line flags set the per-app parts)."""

# No request line, address or header in any log gunicorn writes.
accesslog = None
access_log_format = ""
# Bodies are streamed by the app; gunicorn must not cap them below the app's own limit.
limit_request_line = 8190
limit_request_fields = 100
# Don't trust forwarding headers from anyone: the app never needs the client's address.
forwarded_allow_ips = ""
proxy_allow_ips = ""
