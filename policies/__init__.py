"""The CrossGuard policy pack (run by `pulumi preview --policy-pack policies`); see nox_policies/."""
