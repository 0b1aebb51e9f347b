"""`make bench` runs ``python -m bench``: every benchmark of the project, one after another."""

from bench import bench_signing

if __name__ == "__main__":
    bench_signing.main([])
