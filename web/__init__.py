"""Flask pieces both apps share: client-info scrubbing, security headers, encrypted sessions,
languages and the per-request database session. Nothing here knows about reports."""
