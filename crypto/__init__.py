"""Adal's cryptographic core: PyNaCl and argon2-cffi only, no web or database code.

Modules, each a short spec of its own format:
  receipt      receipt codes (20 digits, Damm check digit), parsing typed input
  kdf          Argon2id for receipt codes, passwords and backup passphrases; versioned KdfParams
  kdf_process  the receipt KDF in a child interpreter, and its wire format
  passwords    staff login password hashes (argon2-cffi's encoded Argon2id)
  keys         key ids, password-wrapped staff keys, the printed recovery key; the key types
  signing      countersignatures: a recipient key approves a head key (Ed25519, derived)
  envelope     data key sealed to many recipients; XChaCha20-Poly1305 body with associated data
  secretstream crypto_secretstream_xchacha20poly1305, as a typed writer and reader
  stream       files as secretstream chunks under an envelope's data key
  localbox     secrets only this installation reads (TOTP seeds) and keyed tags, under the
               instance key
  sessionbox   web session data, sealed under a key only the browser's cookie holds
  errors       CryptoError > DecryptionError > WrongPassword; CryptoError > FormatError

Nothing outside this package imports PyNaCl or argon2-cffi: a new primitive gets a small typed
function here, named for what it is for.
"""

from crypto.errors import CryptoError, DecryptionError, FormatError, WrongPassword

__all__ = ["CryptoError", "DecryptionError", "FormatError", "WrongPassword"]
