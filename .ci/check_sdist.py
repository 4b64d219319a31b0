"""The sdist holds what a build and its tests need, and nothing else: every file git
tracks under cpp/, cmake/, python/ and tests/ (run from the checkout the sdist was built from)."""

import subprocess
import sys
import tarfile

with tarfile.open(sys.argv[1]) as sdist:
    names = [n.split("/", 1)[1] for n in sdist.getnames() if "/" in n]
tracked = subprocess.run(
    ["git", "ls-files", "cpp", "cmake", "python", "tests"], capture_output=True, text=True, check=True
).stdout.split()
assert len(tracked) > 100, f"git ls-files found only {len(tracked)} files: not a checkout?"
required = [
    "pyproject.toml",
    "CMakeLists.txt",
    "README.md",
    "LICENSE",
    "PKG-INFO",
    "cpp/bindings/module.cpp",
    "cpp/include/fastgd/optimizer.hpp",
    "cpp/dispatch/dispatch.cpp",
    "python/fastgd/__init__.py",
    "tests/conftest.py",
]
in_sdist = set(names)
missing = [r for r in [*required, *tracked] if r not in in_sdist]
allowed = ("cpp/", "cmake/", "python/", "tests/")
top = {"pyproject.toml", "CMakeLists.txt", "README.md", "LICENSE", "PKG-INFO", ".gitignore"}
extra = [n for n in names if not n.startswith(allowed) and n not in top]
junk = [
    n for n in names if "__pycache__" in n or n.endswith((".so", ".o", ".json")) or "build/" in n
]
print(f"{len(names)} files; missing {missing}; unexpected {extra}; junk {junk}")
sys.exit(1 if missing or extra or junk else 0)
