import time

from django.core.management.base import BaseCommand
from tqdm import tqdm

from scale.dataset import SCALES, analyze, expected_rows, generate


class Command(BaseCommand):
    help = (
        "Add a generated data set (small, regional or national) for benchmarks and load "
        "tests: programmes, partners, people, submitted assessments and their gaps, actions, "
        "learning, funding. Bulk-loaded (COPY on PostgreSQL), in one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, scale, seed, no_progress, **options):
        chosen = SCALES[scale]
        started = time.perf_counter()
        with tqdm(total=expected_rows(chosen), unit=" rows", unit_scale=True,
                  disable=no_progress, file=self.stderr._out) as bar:
            counts = generate(scale=chosen, progress=bar, seed=seed)
        analyze()
        elapsed = time.perf_counter() - started
        for table, n in counts.items():
            self.stdout.write(f"{table:40} {n:>10,}")
        self.stdout.write(f"{scale} data set: {sum(counts.values()):,} rows in {elapsed:.1f} s")
