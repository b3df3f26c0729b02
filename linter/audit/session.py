"""The AWS side of ``audit``: options, the boto3 session and credentials (a profile, an assumed role),
the caller's account, the regions to visit, and plain messages for botocore errors.

boto3 is imported only when an :class:`AwsSession` is created, so importing this module stays cheap and works
without it.
"""
from __future__ import annotations

from dataclasses import dataclass

INSTALL_HINT = ("cfn-arch-lint audit needs boto3, which is not installed. Install the aws extra:\n"
                "    pip install 'cfn-arch-lint[aws]'")

DEFAULT_MAX_ATTEMPTS = 10
DEFAULT_SESSION_NAME = "cfn-arch-lint-audit"

_ACCESS = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
           "UnauthorizedException"}
_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
_INVALID = {"InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "AuthFailure",
            "IncompleteSignature", "InvalidAccessKeyId", "OptInRequired"}
_THROTTLED = {"Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException",
              "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException", "SlowDown"}


class AuditAbort(Exception):
    """Nothing can be audited at all (no boto3, no credentials, a profile that does not exist, ...)."""


@dataclass
class AuditOptions:
    regions: tuple = ()
    all_regions: bool = False
    stacks: tuple = ()                  # names, ARNs or fnmatch globs
    profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    role_session_name: str | None = None
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    endpoint_url: str | None = None
    template_stage: str = "processed"   # processed | original
    include_nested: bool = True


def describe_error(exc, max_attempts: int | None = None) -> str:
    """One plain line for a botocore exception."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        error = response.get("Error") or {}
        code, message = str(error.get("Code") or "Unknown"), str(error.get("Message") or "").strip()
        detail = f" ({code}{': ' + message if message else ''})"
        if code in _ACCESS:
            return "access denied" + detail
        if code in _EXPIRED:
            return "the credentials have expired; refresh them (e.g. `aws sso login`) and run again" + detail
        if code in _INVALID:
            return ("the credentials are not valid here; is the region enabled for this account, and are the "
                    "keys right?" + detail)
        if code in _THROTTLED:
            tries = f" after {max_attempts} attempts" if max_attempts else ""
            return f"throttled by AWS{tries}; run again later or raise --max-attempts" + detail
        if code == "ValidationError" and "does not exist" in message:
            return "the stack no longer exists" + detail
        return f"{code}: {message}" if message else code
    name = type(exc).__name__
    text = str(exc).strip() or name
    if name == "NoCredentialsError":
        return ("no AWS credentials found: set AWS_PROFILE or give --profile, or AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, or run where an instance/task role is available")
    if name in ("EndpointConnectionError", "ConnectionClosedError", "ConnectTimeoutError", "ReadTimeoutError"):
        return f"cannot reach the endpoint: {text}"
    if name == "ResponseParserError":
        return "the endpoint sent a response that is not an AWS API response"
    return text


def _is_credentials_failure(exc) -> bool:
    name = type(exc).__name__
    if name in ("NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError",
                "TokenRetrievalError", "SSOTokenLoadError", "UnauthorizedSSOTokenError"):
        return True
    response = getattr(exc, "response", None)
    code = (response or {}).get("Error", {}).get("Code") if isinstance(response, dict) else None
    return code in _EXPIRED or code in ("InvalidClientTokenId", "SignatureDoesNotMatch", "InvalidAccessKeyId")


class AwsSession:
    """One boto3 session for a run of ``audit``: credentials, the account, the regions, and clients."""

    def __init__(self, options: AuditOptions, *, log=None):
        self.options = options
        self.log = log or (lambda message: None)
        try:
            import boto3
            import botocore.exceptions
            from botocore.config import Config
        except ImportError:
            raise AuditAbort(INSTALL_HINT) from None
        self.boto3 = boto3
        self.errors = botocore.exceptions
        # What an AWS call can raise that is the service's or the network's fault, not ours.
        self.aws_errors = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)
        from .. import __version__

        self.config = Config(retries={"mode": "standard", "max_attempts": max(1, options.max_attempts)},
                             user_agent_extra=f"cfn-arch-lint/{__version__}")
        self.session = None

    def client(self, service: str, region: str):
        return self.session.client(service, region_name=region, endpoint_url=self.options.endpoint_url,
                                   config=self.config)

    def connect(self) -> None:
        opts = self.options
        try:
            self.session = self.boto3.Session(profile_name=opts.profile) if opts.profile else self.boto3.Session()
        except self.errors.ProfileNotFound:
            raise AuditAbort(f"the AWS profile {opts.profile!r} is not in the AWS config or credentials file")
        except self.aws_errors as exc:
            raise AuditAbort(f"cannot start an AWS session: {describe_error(exc)}")
        home = self.home_region()
        if opts.role_arn:
            kwargs = {"RoleArn": opts.role_arn, "RoleSessionName": opts.role_session_name or DEFAULT_SESSION_NAME}
            if opts.external_id:
                kwargs["ExternalId"] = opts.external_id
            try:
                credentials = self.client("sts", home).assume_role(**kwargs)["Credentials"]
            except self.aws_errors as exc:
                raise AuditAbort(f"cannot assume role {opts.role_arn}: {describe_error(exc, opts.max_attempts)}")
            self.session = self.boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                                              aws_secret_access_key=credentials["SecretAccessKey"],
                                              aws_session_token=credentials["SessionToken"],
                                              region_name=self.session.region_name)

    def account(self) -> str | None:
        """GetCallerIdentity: fail early, once, when the credentials are missing or expired."""
        try:
            return self.client("sts", self.home_region()).get_caller_identity().get("Account")
        except self.aws_errors as exc:
            if _is_credentials_failure(exc):
                raise AuditAbort(describe_error(exc, self.options.max_attempts))
            # Anything else (an STS endpoint that cannot be reached, ...) shows again per region.
            return None

    def known_regions(self) -> set:
        known = set()
        try:
            for partition in self.session.get_available_partitions():
                known.update(self.session.get_available_regions("cloudformation", partition_name=partition))
        except Exception:
            pass
        return known

    def home_region(self) -> str:
        if self.session is not None and self.session.region_name:
            return self.session.region_name
        known = self.known_regions() if self.session is not None else set()
        for region in self.options.regions:
            if not known or region in known:
                return region
        return "us-east-1"

    def regions(self, region_errors: list) -> list:
        """The regions to audit; a region botocore does not know is added to ``region_errors`` and logged."""
        opts = self.options
        if opts.all_regions:
            return self.enabled_regions()
        if opts.regions:
            known = self.known_regions()
            chosen = []
            for region in dict.fromkeys(opts.regions):
                if known and region not in known:
                    message = (f"unknown region {region!r}: botocore {self._botocore_version()} knows no "
                               "CloudFormation region of that name (a typo, or a region newer than your boto3?)")
                    region_errors.append((region, message))
                    self.log(f"{region}: {message}")
                else:
                    chosen.append(region)
            return chosen
        if self.session.region_name:
            return [self.session.region_name]
        raise AuditAbort("no region: give --region (repeatable) or --all-regions, or set AWS_REGION / "
                         "AWS_DEFAULT_REGION or a region in the profile")

    def enabled_regions(self) -> list:
        """The regions enabled for the account (EC2 DescribeRegions), else every region botocore knows."""
        home = self.home_region()
        try:
            response = self.client("ec2", home).describe_regions()
            names = sorted(r["RegionName"] for r in response.get("Regions", ()) if r.get("RegionName"))
            if names:
                return names
        except self.aws_errors as exc:
            self.log(f"--all-regions: cannot ask EC2 which regions are enabled ({describe_error(exc)}); "
                     "trying every region botocore knows, opt-in regions that are not enabled will fail")
        try:
            partition = self.session.get_partition_for_region(home)
        except Exception:
            partition = "aws"
        return sorted(self.session.get_available_regions("cloudformation", partition_name=partition))

    @staticmethod
    def _botocore_version() -> str:
        try:
            import botocore

            return botocore.__version__
        except Exception:  # pragma: no cover
            return "?"
