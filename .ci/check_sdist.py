"""The sdist holds what a build and its tests need, and nothing else."""

import sys
import tarfile

with tarfile.open(sys.argv[1]) as sdist:
    names = [n.split("/", 1)[1] for n in sdist.getnames() if "/" in n]
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
missing = [r for r in required if r not in names]
allowed = ("cpp/", "python/", "tests/")
top = {"pyproject.toml", "CMakeLists.txt", "README.md", "LICENSE", "PKG-INFO", ".gitignore"}
extra = [n for n in names if not n.startswith(allowed) and n not in top]
junk = [
    n for n in names if "__pycache__" in n or n.endswith((".so", ".o", ".json")) or "build/" in n
]
print(f"{len(names)} files; missing {missing}; unexpected {extra}; junk {junk}")
sys.exit(1 if missing or extra or junk else 0)
