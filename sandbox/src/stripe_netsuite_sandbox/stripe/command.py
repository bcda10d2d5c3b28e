"""`stripe-netsuite-sandbox stripe`: serve the Stripe sandbox on loopback until Ctrl-C."""

from __future__ import annotations

import argparse

import uvicorn

from stripe_netsuite_sandbox import serving
from stripe_netsuite_sandbox.stripe.app import StripeSandboxConfig, create_app


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def parser() -> argparse.ArgumentParser:
    """The command's flags."""
    p = argparse.ArgumentParser(
        prog="stripe-netsuite-sandbox stripe",
        description="Run a stateful emulator of Stripe's test mode.",
    )
    p.add_argument("--port", type=int, default=12111, help="TCP port (0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--api-key", default="sk_test_sandbox", help="the secret key clients send")
    p.add_argument(
        "--webhook",
        action="append",
        default=[],
        metavar="URL",
        help="send every event to URL (repeatable)",
    )
    p.add_argument(
        "--db", default=None, metavar="FILE", help="SQLite file; state survives restarts"
    )
    p.add_argument(
        "--duplicate-rate",
        type=_rate,
        default=0.0,
        metavar="F",
        help="share of webhook deliveries sent twice",
    )
    p.add_argument("--shuffle", action="store_true", help="reorder each webhook batch")
    p.add_argument(
        "--drop-rate",
        type=_rate,
        default=0.0,
        metavar="F",
        help="share of webhook deliveries silently dropped",
    )
    p.add_argument(
        "--rate-limit-rate",
        type=_rate,
        default=0.0,
        metavar="F",
        help="share of API requests answered 429",
    )
    p.add_argument(
        "--read-rate-limit",
        type=float,
        default=25.0,
        metavar="N",
        help="API reads admitted per second, then 429 rate_limit (test mode: 25; 0: none)",
    )
    p.add_argument(
        "--server-error-rate",
        type=_rate,
        default=0.0,
        metavar="F",
        help="share of API requests answered 500",
    )
    p.add_argument("--seed", type=int, default=0, help="seed for ids, secrets and faults")
    p.add_argument(
        "--settlement-currency",
        action="append",
        default=[],
        metavar="CODE",
        help="a currency held and paid out as it is (repeatable); others settle in USD",
    )
    return p


def main(argv: list[str]) -> None:
    """Parse *argv*, print how to connect, and serve until interrupted."""
    args = parser().parse_args(argv)
    port = args.port or serving.free_port()
    config = StripeSandboxConfig(
        api_key=args.api_key,
        webhooks=list(args.webhook),
        db_path=args.db,
        duplicate_rate=args.duplicate_rate,
        shuffle=args.shuffle,
        drop_rate=args.drop_rate,
        seed=args.seed,
        rate_limit_rate=args.rate_limit_rate,
        server_error_rate=args.server_error_rate,
        read_rate_limit=args.read_rate_limit,
        settlement_currencies=tuple(args.settlement_currency),
    )
    app = create_app(config)
    sb = app.state.sandbox
    print(f"Stripe sandbox: http://{args.host}:{port}", flush=True)
    print(f"API key: {config.api_key}", flush=True)
    for url, secret in sb.webhook_secrets.items():
        print(f"Webhook {url} secret: {secret}", flush=True)
    server = uvicorn.Server(
        uvicorn.Config(app, host=args.host, port=port, log_level="warning", lifespan="on")
    )
    try:
        server.run()
    except KeyboardInterrupt:
        pass
