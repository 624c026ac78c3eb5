"""The nox-security policy pack: `pulumi preview --policy-pack policies` runs this file.

Only assembles the pack: constructing a PolicyPack starts the analyzer's gRPC server and blocks,
so the policies live in `nox_policies/` where tests and the offline plan import them.
"""

from nox_policies import ALL_POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack("nox-security", policies=ALL_POLICIES, enforcement_level=EnforcementLevel.MANDATORY)
