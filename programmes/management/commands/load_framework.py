from pathlib import Path

import yaml
from django.core.management.base import BaseCommand, CommandError

from programmes.services import framework_load

FRAMEWORKS_DIR = Path(__file__).resolve().parents[2] / "frameworks"


def shipped_framework_files() -> list[Path]:
    return sorted(FRAMEWORKS_DIR.glob("*.yaml"))


class Command(BaseCommand):
    help = (
        "Load framework data files (all shipped frameworks by default). Safe to run again: "
        "items are updated by code and never deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "files", nargs="*", help="YAML files or shipped slugs (e.g. skills-for-care-2021)."
        )

    def handle(self, *args, files, **options):
        paths = [self._resolve(f) for f in files] if files else shipped_framework_files()
        if not paths:
            raise CommandError(f"No framework files found in {FRAMEWORKS_DIR}.")
        for path in paths:
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError) as exc:
                raise CommandError(f"Cannot read {path}: {exc}") from exc
            result = framework_load(data=data)
            fw = result.framework
            self.stdout.write(
                f"{fw.slug} v{fw.version}: {fw.principles.count()} principles, "
                f"{result.created} items created, {result.updated} updated, "
                f"{result.retired} retired"
            )

    def _resolve(self, name: str) -> Path:
        path = Path(name)
        if path.is_file():
            return path
        shipped = FRAMEWORKS_DIR / f"{name}.yaml"
        if shipped.is_file():
            return shipped
        raise CommandError(f"No framework file or shipped framework called {name!r}.")
