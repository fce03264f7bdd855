"""Adal's cryptographic core: PyNaCl and argon2-cffi only, no web or database code.

Modules, each a short spec of its own format:
  receipt   receipt codes (20 digits, Damm check digit), parsing typed input
  kdf       Argon2id for receipt codes and passwords; versioned KdfParams
  keys      key ids, password-wrapped staff keys, the printed recovery key
  envelope  data key sealed to many recipients; XChaCha20-Poly1305 body with associated data
  stream    files as crypto_secretstream chunks under an envelope's data key
  errors    CryptoError > DecryptionError > WrongPassword; CryptoError > FormatError
"""

from crypto.errors import CryptoError, DecryptionError, FormatError, WrongPassword

__all__ = ["CryptoError", "DecryptionError", "FormatError", "WrongPassword"]
