"""Crypto benchmark: prints figures, checks two budgets. Not a test (timings vary by machine).

    .venv/bin/python bench/crypto.py           full run (256 MiB throughput, 1 GiB RSS run)
    .venv/bin/python bench/crypto.py --quick   smoke run with small sizes

Figures:
  * envelope seal / open of a 4 KiB payload, 1 and 5 recipients: median µs;
  * file stream encrypt / decrypt throughput (encrypt_file / decrypt_file from an in-memory
    buffer to a discarding sink) next to raw crypto_secretstream push / pull on the same buffer
    and chunk size; budget: ours / raw >= 0.5;
  * peak RSS of a child process that streams N bytes through encrypt_file into a temporary file
    and back through decrypt_file, input generated on the fly, output hashed and discarded;
    budget: < 64 MiB;
  * one receipt KDF with the default parameters: ms.

Exit status 1 if a budget is missed, so `--quick` can serve as a CI smoke check.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import NamedTuple

import nacl.bindings as sodium
from nacl.public import PrivateKey

# This file is itself named crypto.py and Python puts its folder first on sys.path, where it
# would shadow the crypto package: put the repository root in front.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crypto import envelope, receipt, stream
from crypto.kdf import KdfParams, derive_receipt_secrets, new_salt

MIB = 1024 * 1024
RATIO_BUDGET = 0.5
RSS_BUDGET_MIB = 64
AAD = b"adal/bench/file/1"


class Plan(NamedTuple):
    envelope_runs: int
    envelope_rounds: int
    stream_bytes: int
    stream_repeat: int
    rss_bytes: int
    kdf_runs: int


FULL = Plan(1000, 10, 256 * MIB, 5, 1024 * MIB, 5)
QUICK = Plan(100, 5, 16 * MIB, 3, 64 * MIB, 1)


class PatternSource(io.RawIOBase):
    """Non-zero input generated on the fly (a random block repeated), hashed as it is read."""

    def __init__(self, size: int, block: int = stream.CHUNK_SIZE) -> None:
        self._left = size
        self._block = os.urandom(block)
        self.digest = hashlib.blake2b()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        n = min(len(self._block) if size < 0 else size, self._left, len(self._block))
        self._left -= n
        data = self._block[:n]
        self.digest.update(data)
        return data


class DiscardSink(io.RawIOBase):
    def __init__(self, digest: bool = False) -> None:
        self.written = 0
        self.digest = hashlib.blake2b() if digest else None

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.written += len(data)
        if self.digest is not None:
            self.digest.update(data)
        return len(data)


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# --- envelopes -----------------------------------------------------------------------------


def _median_us(fn: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - start) / 1000)
    return statistics.median(samples)


def bench_envelope(runs: int, rounds: int) -> None:
    """Median per round, best round reported, cases interleaved: this machine may be shared,
    and a busy neighbour slows whole stretches of time rather than single runs."""
    payload = os.urandom(4096)
    cases: dict[str, Callable[[], object]] = {}
    for count in (1, 5):
        keys = [PrivateKey.generate() for _ in range(count)]
        recipients = [bytes(k.public_key) for k in keys]
        sealed = envelope.seal(payload, recipients, AAD)
        reader = keys[-1]  # the last grant: the longest search
        cases[f"seal/{count}"] = partial(envelope.seal, payload, recipients, AAD)
        cases[f"open/{count}"] = partial(
            envelope.open_envelope, sealed.body, sealed.grants, reader, AAD
        )
    for fn in cases.values():  # warm-up: caches, allocator
        _median_us(fn, runs)
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(rounds):
        for name, fn in cases.items():
            best[name] = min(best[name], _median_us(fn, runs))
    print(f"envelope, 4 KiB payload (median of {runs} runs, best of {rounds} rounds)")
    for count in (1, 5):
        print(
            f"  {count} recipient{'s' if count > 1 else ' '}: "
            f"seal {best[f'seal/{count}']:8.1f} µs   open {best[f'open/{count}']:8.1f} µs"
        )


# --- stream throughput ---------------------------------------------------------------------


def _raw_push(buffer: bytes, chunk: int, keep: bool = False) -> list[bytes]:
    """secretstream alone: same buffer, same chunk size, one slice copy per chunk as ours."""
    key = sodium.crypto_secretstream_xchacha20poly1305_keygen()
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    header = sodium.crypto_secretstream_xchacha20poly1305_init_push(state, key)
    out = [header + key]
    push = sodium.crypto_secretstream_xchacha20poly1305_push
    last = len(buffer) - len(buffer) % chunk
    for offset in range(0, last, chunk):
        ciphertext = push(state, buffer[offset : offset + chunk])
        if keep:
            out.append(ciphertext)
    final = push(state, buffer[last:], tag=sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL)
    out.append(final)
    return out


def _raw_pull(pushed: list[bytes]) -> None:
    header, key = pushed[0][:24], pushed[0][24:]
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, header, key)
    for chunk in pushed[1:]:
        sodium.crypto_secretstream_xchacha20poly1305_pull(state, chunk)


def bench_stream(size: int, repeat: int) -> bool:
    chunk = stream.CHUNK_SIZE
    recipient = PrivateKey.generate()
    public = [bytes(recipient.public_key)]
    mb = size / 1e6
    buffer = bytes(size)

    def ours_encrypt() -> None:
        stream.encrypt_file(io.BytesIO(buffer), DiscardSink(), public, AAD)  # type: ignore[arg-type]

    encrypted = io.BytesIO()
    grants = stream.encrypt_file(io.BytesIO(buffer), encrypted, public, AAD)
    ciphertext = encrypted.getvalue()
    del encrypted

    def ours_decrypt() -> None:
        sink = DiscardSink()
        stream.decrypt_file(io.BytesIO(ciphertext), sink, recipient, grants, AAD)  # type: ignore[arg-type]
        if sink.written != size:
            raise SystemExit("decrypt_file wrote the wrong number of bytes")

    pushed = _raw_push(buffer, chunk, keep=True)
    # Interleaved, best of each: a noisy neighbour then hurts both sides alike.
    t_enc = t_raw_push = t_dec = t_raw_pull = float("inf")
    for _ in range(repeat):
        t_enc = min(t_enc, _timed(ours_encrypt))
        t_raw_push = min(t_raw_push, _timed(lambda: _raw_push(buffer, chunk)))
        t_dec = min(t_dec, _timed(ours_decrypt))
        t_raw_pull = min(t_raw_pull, _timed(lambda: _raw_pull(pushed)))
    enc_ratio = t_raw_push / t_enc
    dec_ratio = t_raw_pull / t_dec
    print(f"file stream, {size // MIB} MiB, {chunk // 1024} KiB chunks (best of {repeat})")
    print(
        f"  encrypt_file {mb / t_enc:8.0f} MB/s   raw push {mb / t_raw_push:8.0f} MB/s"
        f"   ratio {enc_ratio:.2f}"
    )
    print(
        f"  decrypt_file {mb / t_dec:8.0f} MB/s   raw pull {mb / t_raw_pull:8.0f} MB/s"
        f"   ratio {dec_ratio:.2f}"
    )
    ok = min(enc_ratio, dec_ratio) >= RATIO_BUDGET
    print(f"  budget ratio >= {RATIO_BUDGET}: {'ok' if ok else 'MISSED'}")
    return ok


# --- peak memory ---------------------------------------------------------------------------


def _vm_hwm_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def rss_child(size: int) -> None:
    """In a fresh process: `size` generated bytes → encrypt_file → temporary file →
    decrypt_file → hashed and discarded. Prints: peak KiB, KiB before streaming, seconds."""
    recipient = PrivateKey.generate()
    source = PatternSource(size)
    sink = DiscardSink(digest=True)
    baseline = _vm_hwm_kib()
    start = time.perf_counter()
    with tempfile.TemporaryFile() as ciphertext:
        grants = stream.encrypt_file(source, ciphertext, [recipient.public_key], AAD)  # type: ignore[arg-type]
        ciphertext.seek(0)
        written = stream.decrypt_file(ciphertext, sink, recipient, grants, AAD)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - start
    if written != size or sink.digest is None or sink.digest.digest() != source.digest.digest():
        raise SystemExit("round trip mismatch")
    print(_vm_hwm_kib(), baseline, f"{elapsed:.3f}")


def bench_rss(size: int) -> bool:
    result = subprocess.run(
        [sys.executable, __file__, "--rss-child", str(size)],
        capture_output=True,
        text=True,
        check=True,
    )
    peak_kib, baseline_kib, seconds = result.stdout.split()
    # Linux reports ru_maxrss in KiB; it covers every waited-for child, and this is the only one.
    # The budget uses the larger of the two figures.
    children_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    peak_mib = max(int(peak_kib), children_kib) / 1024
    print(f"peak RSS, {size // MIB} MiB through encrypt_file + decrypt_file (child process)")
    print(
        f"  peak {peak_mib:6.1f} MiB (VmHWM {int(peak_kib) / 1024:.1f}, ru_maxrss "
        f"{children_kib / 1024:.1f}); before streaming {int(baseline_kib) / 1024:.1f} MiB; "
        f"round trip {float(seconds):.1f} s"
    )
    ok = peak_mib < RSS_BUDGET_MIB
    print(f"  budget < {RSS_BUDGET_MIB} MiB: {'ok' if ok else 'MISSED'}")
    return ok


# --- receipt KDF ---------------------------------------------------------------------------


def bench_kdf(runs: int) -> None:
    params = KdfParams()
    salt = new_salt()
    times = [
        _timed(lambda: derive_receipt_secrets(receipt.generate(), salt, params))
        for _ in range(runs)
    ]
    print(
        f"receipt KDF, Argon2id t={params.time_cost} m={params.memory_kib // 1024} MiB "
        f"p={params.parallelism}: {statistics.median(times) * 1000:.0f} ms"
        + (f" (median of {runs})" if runs > 1 else "")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--rss-child", type=int, metavar="BYTES", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child is not None:
        rss_child(args.rss_child)
        return 0
    plan = QUICK if args.quick else FULL
    # The RSS child goes first: a child's ru_maxrss starts from its parent's high-water mark
    # (fork, then exec, keeps the larger), so it must be spawned before this process allocates
    # the throughput buffers. VmHWM, printed by the child itself, has no such inheritance.
    ok = bench_rss(plan.rss_bytes)
    bench_envelope(plan.envelope_runs, plan.envelope_rounds)
    ok = bench_stream(plan.stream_bytes, plan.stream_repeat) and ok
    bench_kdf(plan.kdf_runs)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
