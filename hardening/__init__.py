"""Process settings that keep key material where it belongs; no cryptography, no web code.

  process  no core files, not dumpable (no same-user ptrace or /proc/<pid>/mem)

Imported by the gunicorn workers' set-up (adal_cli.gunicorn_conf) and by the receipt KDF's
child interpreter (crypto.kdf_process), which imports nothing else outside the standard
library, PyNaCl and argon2-cffi: keep this package free of other dependencies.
"""
