"""What the NOX API container expects, from the seed: one place for the EC2 and EKS paths.

Ports, probes, environment and the security headers are the same whichever platform runs the
app, so the edge (ALB), the fleet (EC2 user data) and the workload (Kubernetes) all read them here.
"""

from __future__ import annotations

APP_PORT = 3000  # seed: PORT=3000, containerPort 3000
WS_PORT = 8080  # seed: nox-websocket-service / prometheus job nox-websocket on 8080
APP_USER_ID = 1001  # seed Dockerfile: adduser -u 1001 (group nodejs, gid 1001)
# The uid (and gid) the container runs as on both platforms. Above 10000, so it can never be a uid
# of the host (scanners flag lower ones: CKV_K8S_40). The seed image allows it: its Dockerfile
# makes every file 644 and every directory 755 (world-readable), the entrypoint world-executable,
# and the app writes only to /tmp (a tmpfs / emptyDir), so nothing needs uid 1001's ownership.
RUN_AS_UID = 10001

HEALTH_PATH = "/health"  # seed: healthcheck and livenessProbe
READY_PATH = "/ready"  # seed: readinessProbe
# Seed docker-compose healthcheck: interval 30s, timeout 10s, retries 3.
HEALTH_INTERVAL_SECONDS = 30
HEALTH_TIMEOUT_SECONDS = 10
UNHEALTHY_THRESHOLD = 3
HEALTHY_THRESHOLD = 2
# How long the ALB drains a deregistered target. Pods sleep longer than this in preStop so
# in-flight requests finish before SIGTERM.
DEREGISTRATION_DELAY_SECONDS = 30

BASE_ENV = {"NODE_ENV": "production", "PORT": str(APP_PORT)}  # seed environment

# The seed's nginx `add_header` set, as ALB listener attributes (routing.http.response.*).
# ALB can set only these; X-XSS-Protection (obsolete) and Referrer-Policy are the app's job.
HSTS = "max-age=31536000; includeSubDomains; preload"
CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline';"


# ALB's valid values for access_control_allow_methods: GET, HEAD, POST, DELETE, CONNECT, OPTIONS,
# TRACE, PATCH (ELB ListenerAttribute reference). CONNECT and TRACE have no business in an API.
CORS_METHODS = ("GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS")


def response_header_attributes(cors_allow_origin: str) -> dict[str, str]:
    """HTTPS listener attributes: the seed's security headers plus CORS, server header off."""
    return {
        "routing.http.response.strict_transport_security.header_value": HSTS,
        "routing.http.response.x_frame_options.header_value": "DENY",
        "routing.http.response.x_content_type_options.header_value": "nosniff",
        "routing.http.response.content_security_policy.header_value": CONTENT_SECURITY_POLICY,
        "routing.http.response.access_control_allow_origin.header_value": cors_allow_origin,
        # Only the methods ALB documents as valid for this attribute (it lists no PUT): a
        # cross-origin PUT would have to be answered by the app's own CORS handling.
        "routing.http.response.access_control_allow_methods.header_value": ",".join(CORS_METHODS),
        "routing.http.response.access_control_allow_headers.header_value": "Authorization,Content-Type,X-Canary-User",
        "routing.http.response.access_control_allow_credentials.header_value": "true",
        "routing.http.response.access_control_max_age.header_value": "600",
        "routing.http.response.server.enabled": "false",
    }


# Seed: the OAuth providers of /api/auth/<provider>/url and its integration tests.
OAUTH_PROVIDERS = ("google", "github", "microsoft")

CANARY_HEADER = "X-Canary-User"  # seed: `if ($http_x_canary_user = "true")` routes to the canary
CANARY_HEADER_VALUE = "true"
