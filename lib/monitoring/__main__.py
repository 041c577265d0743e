"""``python -m lib.monitoring``: write the team VM's alert rules and their tests into ``deploy/monitoring/``."""

from lib import paths
from lib.monitoring.deploy import write_deploy_rules

for written in write_deploy_rules():
    print(f"wrote {paths.relative(written)}")
