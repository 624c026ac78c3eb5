"""The parts of the EKS cluster (`components.cluster.Cluster`), one module each, as pulumi-eks
splits its cluster: IAM roles (IRSA and service roles), the managed node group, managed add-ons and
cluster-level Helm releases, and API access. Every resource they create is parented to the Cluster
component, so splitting the code changed no URN."""
