"""Fashion-MNIST from its four original IDX files, found on disk or downloaded once.

Fashion-MNIST (Xiao, Rasul & Vollgraf 2017; MIT licence) is 70,000 grey 28×28 images of
ten kinds of clothing: 60,000 for training, 10,000 for testing, 6,000 and 1,000 per class.
It is stored as four IDX files (LeCun's MNIST format: a big-endian magic number
``0x00000803`` for a 3-D ``uint8`` array or ``0x00000801`` for a 1-D one, the dimensions as
big-endian ``uint32``, then the bytes), each optionally gzipped.

:func:`fashion_mnist` looks for the four files, in this order, in

1. ``$GANTOOLS_DATA/fashion-mnist`` (when the variable is set),
2. the user cache ``~/.cache/gantools/fashion-mnist``,
3. ``/usr/share/datasets/fashion-mnist`` (Debian/Ubuntu: ``apt-get install dataset-fashion-mnist``),

and only when none holds them downloads them into the cache (the first of 1 and 2). A
directory that holds some of the files but not all, or a file whose magic number, size or
checksum is wrong, is an error that names the file; nothing is written then. The checksum is
the SHA-256 of the *decompressed* array, so the same check holds for gzipped and plain files,
wherever they came from. A download goes to a temporary file that is checked and then
renamed: an interrupted download leaves no partial file behind.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import shutil
import struct
import tempfile
import urllib.request

import numpy as np

SYSTEM_DIR = "/usr/share/datasets/fashion-mnist"  # where the Debian/Ubuntu package puts the files
# (file name, shape, SHA-256 of the decompressed array bytes) of each split's images and labels.
FILES = {
    ("train", "images"): ("train-images-idx3-ubyte", (60000, 28, 28),
                          "2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012"),
    ("train", "labels"): ("train-labels-idx1-ubyte", (60000,),
                          "657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7"),
    ("test", "images"): ("t10k-images-idx3-ubyte", (10000, 28, 28),
                         "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a"),
    ("test", "labels"): ("t10k-labels-idx1-ubyte", (10000,),
                         "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9"),
}
# The first labels of each split: a check a reader can do by eye, whatever the source.
FIRST_LABELS = {"train": (9, 0, 0, 3, 0, 2, 7, 2, 5, 5), "test": (9, 2, 1, 1, 6, 1, 4, 6, 5, 7)}
MIRRORS = (  # tried in order; each serves the four gzipped files
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
)
HOW_TO_GET = (f"on Debian/Ubuntu run `apt-get install dataset-fashion-mnist` (files in {SYSTEM_DIR}); "
              "elsewhere put the four files of https://github.com/zalandoresearch/fashion-mnist "
              "(data/fashion/*.gz) in ~/.cache/gantools/fashion-mnist")


def search_dirs() -> list[str]:
    """The directories looked in, in order (``$GANTOOLS_DATA``'s only when it is set)."""
    dirs = []
    if os.environ.get("GANTOOLS_DATA"):
        dirs.append(os.path.join(os.environ["GANTOOLS_DATA"], "fashion-mnist"))
    dirs.append(os.path.join(os.path.expanduser("~"), ".cache", "gantools", "fashion-mnist"))
    dirs.append(SYSTEM_DIR)
    return dirs


def _present(directory: str, name: str) -> str | None:
    for candidate in (name, name + ".gz"):
        path = os.path.join(directory, candidate)
        if os.path.isfile(path):
            return path
    return None


def read_idx(path: str, shape: tuple[int, ...], sha256: str) -> np.ndarray:
    """The ``uint8`` array of one IDX file (gzipped when its name ends in ``.gz``), checked
    against the expected ``shape`` and the SHA-256 of its bytes; ``ValueError`` naming the
    file and what is wrong otherwise."""
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:  # gzip's truncated stream is an EOFError, a bad one an OSError
        raise ValueError(f"{path}: cannot be read ({type(e).__name__}: {e})") from None
    expected_magic = 0x800 + len(shape)  # 0x08 = unsigned byte, then the number of dimensions
    if len(raw) < 4 or struct.unpack(">I", raw[:4])[0] != expected_magic:
        got = hex(struct.unpack(">I", raw[:4])[0]) if len(raw) >= 4 else "nothing"
        raise ValueError(f"{path}: bad magic number {got}, expected {expected_magic:#010x} "
                         "(not an IDX file of unsigned bytes with this many dimensions)")
    header = 4 + 4 * len(shape)
    dims = struct.unpack(">" + "I" * len(shape), raw[4:header]) if len(raw) >= header else ()
    if tuple(dims) != tuple(shape):
        raise ValueError(f"{path}: holds shape {tuple(dims)}, expected {tuple(shape)} (wrong count)")
    data = raw[header:]
    if len(data) != int(np.prod(shape)):
        raise ValueError(f"{path}: truncated or padded: {len(data)} bytes of data, expected {int(np.prod(shape))}")
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError(f"{path}: wrong checksum (the SHA-256 of its decompressed array is not "
                         f"Fashion-MNIST's {sha256[:12]}...)")
    return np.frombuffer(data, dtype=np.uint8).reshape(shape)


def _load_dir(directory: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    arrays = []
    for kind in ("images", "labels"):
        name, shape, sha = FILES[(split, kind)]
        path = _present(directory, name)
        if path is None:
            raise ValueError(f"{os.path.join(directory, name)}[.gz]: missing (the directory holds other "
                             "Fashion-MNIST files; add it or remove the directory)")
        arrays.append(read_idx(path, shape, sha))
    images, labels = arrays
    if tuple(labels[:10]) != FIRST_LABELS[split] or np.bincount(labels, minlength=10).min() != len(labels) // 10:
        raise ValueError(f"{directory}: the {split} labels are not Fashion-MNIST's")  # unreachable past the hash
    return images, labels


def _download(url: str, dest: str) -> str:
    """``url`` into a temporary ``.gz`` file beside ``dest`` (its path is returned); an
    interrupted download deletes it."""
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dest), prefix=".part-", suffix=".gz")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            shutil.copyfileobj(response, out)
        return tmp
    except BaseException:
        os.unlink(tmp)
        raise


def download(directory: str, mirrors=None) -> None:
    """Download the four gzipped files into ``directory``, each checked before it is
    renamed into place; ``ValueError`` (one line) when no mirror serves a good copy."""
    errors = []
    for name, shape, sha in FILES.values():
        dest = os.path.join(directory, name + ".gz")
        if os.path.exists(dest):
            continue
        for base in mirrors or MIRRORS:
            try:
                tmp = _download(base + name + ".gz", dest)
            except Exception as e:  # URLError, HTTPError, timeouts, OSError
                errors.append(f"{base}: {type(e).__name__}")
                continue
            try:
                read_idx(tmp, shape, sha)
            except ValueError as e:
                os.unlink(tmp)
                errors.append(f"{base}{name}.gz: {str(e).split(': ', 1)[-1]}")
                continue
            os.replace(tmp, dest)  # complete and checked: only now under its real name
            break
        else:
            raise ValueError(f"Fashion-MNIST is not on this machine and the download failed "
                             f"({'; '.join(errors[-2:])}): {HOW_TO_GET}")


@functools.lru_cache(maxsize=4)
def _cached(directory: str, split: str, stamp: tuple) -> tuple[np.ndarray, np.ndarray]:
    return _load_dir(directory, split)


def find() -> str | None:
    """The first search directory that holds any Fashion-MNIST file, or ``None``."""
    for d in search_dirs():
        if any(_present(d, name) for name, _, _ in FILES.values()):
            return d
    return None


def fashion_mnist(split: str = "train", download_missing: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(N, 28, 28)`` and labels ``(N,)``, both ``uint8``, of the ``"train"``
    (60,000) or ``"test"`` (10,000) split, checked (shape, checksum, first labels).

    Found as the module docstring says; downloaded into the cache only when no directory
    has any of the files and ``download_missing`` is true. Decoded once per process.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    directory, target = find(), search_dirs()[0]
    incomplete = directory == target and not all(_present(target, n) for n, _, _ in FILES.values())
    if directory is None:
        if not download_missing:
            raise ValueError(f"Fashion-MNIST not found in {', '.join(search_dirs())}: {HOW_TO_GET}")
        directory = target
        download(directory)
    elif incomplete and download_missing:  # perhaps an interrupted download: fetch the rest
        try:
            download(directory)
        except ValueError:
            pass  # then the missing file is the error (below), not the network
    stamp = tuple(os.stat(p).st_mtime_ns if p else 0
                  for p in (_present(directory, n) for n, _, _ in FILES.values()))
    images, labels = _cached(directory, split, stamp)
    return images, labels
