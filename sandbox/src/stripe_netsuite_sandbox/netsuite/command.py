"""``stripe-netsuite-sandbox netsuite``: serve the NetSuite sandbox on a local port."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import uvicorn

from stripe_netsuite_sandbox.netsuite import auth
from stripe_netsuite_sandbox.netsuite.app import SandboxConfig, create_app
from stripe_netsuite_sandbox.serving import free_port

_DEFAULTS = SandboxConfig()


def parser() -> argparse.ArgumentParser:
    """The command-line flags, with the sandbox defaults shown in --help."""
    p = argparse.ArgumentParser(
        prog="stripe-netsuite-sandbox netsuite",
        description="Run an emulator of NetSuite's REST web services on this machine.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--port", type=int, default=8642, help="TCP port; 0 picks a free one")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    p.add_argument("--account-id", default=_DEFAULTS.account_id, help="account id (TBA realm)")
    p.add_argument("--consumer-key", default=_DEFAULTS.consumer_key)
    p.add_argument("--consumer-secret", default=_DEFAULTS.consumer_secret)
    p.add_argument("--token-id", default=_DEFAULTS.token_id)
    p.add_argument("--token-secret", default=_DEFAULTS.token_secret)
    p.add_argument(
        "--certificate",
        type=Path,
        help="PEM public key or X.509 certificate of the OAuth 2.0 client (enables OAuth 2.0)",
    )
    p.add_argument("--client-id", default=_DEFAULTS.client_id, help="OAuth 2.0 client id (iss)")
    p.add_argument(
        "--certificate-id", default=_DEFAULTS.certificate_id, help="OAuth 2.0 certificate id (kid)"
    )
    p.add_argument(
        "--concurrency", type=int, default=_DEFAULTS.concurrency, help="requests in flight"
    )
    p.add_argument("--latency-ms", type=int, default=0, help="added to every request")
    p.add_argument("--fault-rate", type=float, default=0.0, help="share of requests that fail")
    p.add_argument("--seed", type=int, default=0, help="fault-injection random seed")
    p.add_argument("--db", help="SQLite file that keeps the records across restarts")
    return p


def _config(args: argparse.Namespace) -> SandboxConfig:
    if args.concurrency < 1:
        raise SystemExit("--concurrency must be at least 1")
    if not 0.0 <= args.fault_rate <= 1.0:
        raise SystemExit("--fault-rate must be between 0 and 1")
    pem = None
    if args.certificate is not None:
        try:
            pem = args.certificate.read_bytes()
            auth.load_public_key(pem)
        except (OSError, ValueError) as exc:
            raise SystemExit(f"--certificate {args.certificate}: {exc}") from exc
    return SandboxConfig(
        account_id=args.account_id,
        consumer_key=args.consumer_key,
        consumer_secret=args.consumer_secret,
        token_id=args.token_id,
        token_secret=args.token_secret,
        client_id=args.client_id,
        certificate_id=args.certificate_id,
        public_key_pem=pem,
        concurrency=args.concurrency,
        latency_ms=args.latency_ms,
        fault_rate=args.fault_rate,
        db_path=args.db,
        seed=args.seed,
    )


def banner(config: SandboxConfig, base_url: str) -> str:
    """What the command prints at start: where to connect and with what."""
    oauth2 = "enabled" if config.public_key_pem else "disabled (pass --certificate)"
    return "\n".join(
        [
            f"NetSuite sandbox listening on {base_url}",
            f"  account id       {config.account_id}",
            f"  consumer key     {config.consumer_key}",
            f"  consumer secret  {config.consumer_secret}",
            f"  token id         {config.token_id}",
            f"  token secret     {config.token_secret}",
            f"  OAuth 2.0        {oauth2}; client id {config.client_id}, "
            f"certificate id {config.certificate_id}",
            f"  token endpoint   {base_url}{auth.TOKEN_PATH}",
            f"  concurrency {config.concurrency}, latency {config.latency_ms} ms, "
            f"fault rate {config.fault_rate}, storage {config.db_path or 'memory'}",
        ]
    )


def main(argv: list[str]) -> None:
    """Parse *argv*, print the base URL and credentials, serve until Ctrl-C."""
    args = parser().parse_args(argv)
    config = _config(args)
    port = args.port or free_port()
    print(banner(config, f"http://{args.host}:{port}"), flush=True)
    uvicorn.run(
        create_app(config), host=args.host, port=port, log_level="warning", access_log=False
    )


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
