#!/usr/bin/env python3
"""The AWS side of a VPC: its CloudFormation stack, and the inventory as AWS fills it.

    aws.py template [--vpc VPC] [-o FILE]      the stack template from the inventory (no AWS)
    aws.py stack plan   [--vpc VPC]            show the change set; change nothing
    aws.py stack deploy [--vpc VPC] [--yes]    show it, apply it, follow events, print outputs
    aws.py stack status [--vpc VPC]            status, outputs, resources, why it failed
    aws.py stack delete [--vpc VPC] [--yes]    delete the stack and follow events
    aws.py inventory    [--vpc VPC]            tunnels as read from AWS (keys never shown)
    aws.py maintenance status [--vpc VPC]      pending tunnel endpoint maintenance per tunnel
    aws.py maintenance apply (--router R --tunnel T | --vpn-connection-id ID --outside-ip IP)
                        [--yes] [--drain | --drained]   apply it to one tunnel, then verify

A stack covers every router of one VPC: --hosts/--role are refused for stacks, since a
template built from a subset would delete the other routers' VPN connections.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tasks.aws import change_set, maintenance
from tasks.aws import stack as aws_stack
from tasks.aws.drain import prepend_drain
from tasks.aws.inventory import load_with_aws
from tasks.aws.maintenance_apply import ApplyOptions, apply_maintenance
from tasks.aws.session import AwsCredentialsError, AwsError, make_session, require_credentials
from tasks.aws.stack_events import StackEvent
from tasks.aws.stack_warnings import tunnel_warnings
from tasks.aws.template import (
    build_template,
    default_stack_name,
    template_text,
    vpc_of,
    write_template,
)
from tasks.cli import (
    add_common_args,
    fail,
    open_inventory,
    print_json,
    run_main,
    setup_logging,
)
from tasks.errors import BadInput, ExitCode, InventoryError, ToolkitError, codes_text
from tasks.inventory import router_of
from tasks.model import Router
from tasks.report import table
from tasks.secrets import redact

EPILOG = (
    "Credentials, profile and region: --profile/--region, or the usual AWS_PROFILE, AWS_REGION, "
    "AWS_ACCESS_KEY_ID ..., shared files, SSO or an instance role. "
    f"Exit codes: {codes_text('aws.py')}. "
    f"maintenance status: {maintenance.EXIT_CODES['status']}. "
    f"maintenance apply (a dry run without --yes): {maintenance.EXIT_CODES['apply']}."
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Build, deploy and inspect the AWS side (VGW, customer gateways, VPN "
        "connections) of BGP outbound HA for a VPC.",
        epilog=EPILOG,
    )
    add_common_args(parser)
    parser.add_argument("--profile", help="AWS profile (default: AWS_PROFILE or the default)")
    parser.add_argument("--region", help="AWS region (default: AWS_REGION or the profile's)")
    parser.add_argument("--stack-name", help="stack name (default: vpc-bgp-ha-<inventory vpc>)")
    parser.add_argument(
        "--vpc-id", help="the VPC's real id when the inventory names it (default: by Name tag)"
    )
    parser.add_argument("--yes", action="store_true", help="deploy/delete without asking")
    parser.add_argument(
        "--poll", type=float, default=5.0, help="seconds between progress polls (default: 5)"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    template = sub.add_parser("template", help="write the stack template (no AWS calls)")
    template.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    stack = sub.add_parser("stack", help="plan, deploy, status or delete the stack")
    stack.add_argument("action", choices=("plan", "deploy", "status", "delete"))
    sub.add_parser("inventory", help="show each router's tunnels as AWS holds them")
    mnt = sub.add_parser(
        "maintenance",
        help="AWS tunnel endpoint maintenance: status (per tunnel), apply (one tunnel)",
        description="status: pending maintenance per tunnel (GetVpnTunnelReplacementStatus). "
        "apply: ReplaceVpnTunnel with ApplyPendingMaintenance on one tunnel, make-before-break, "
        "wait until it is UP again, verify. Without --yes apply only says what it would do. "
        f"Exit codes: status: {maintenance.EXIT_CODES['status']}; "
        f"apply: {maintenance.EXIT_CODES['apply']}.",
    )
    mnt.add_argument("action", choices=("status", "apply"))
    # Also accepted after the subcommand (SUPPRESS: a default here would undo the top level's).
    mnt.add_argument(
        "--yes",
        action="store_true",
        default=argparse.SUPPRESS,
        help="apply: do it (without: a dry run)",
    )
    mnt.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print a JSON report on stdout",
    )
    mnt.add_argument(
        "--poll",
        type=float,
        default=argparse.SUPPRESS,
        help="apply: seconds between telemetry polls (5)",
    )
    mnt.add_argument("--router", help="apply: the inventory router whose tunnel to replace")
    mnt.add_argument("--tunnel", help="apply: that router's tunnel name (e.g. tun1)")
    mnt.add_argument("--vpn-connection-id", help="apply: the VPN connection (vpn-...)")
    mnt.add_argument("--outside-ip", help="apply: the tunnel's AWS outside address")
    how = mnt.add_mutually_exclusive_group()
    how.add_argument(
        "--drain",
        action="store_true",
        help="apply on the primary: prepend on it (failover's drain) first, restore afterwards",
    )
    how.add_argument(
        "--drained",
        action="store_true",
        help="apply on the primary: you have drained it already (traffic is on a backup)",
    )
    mnt.add_argument(
        "--drain-settle", type=float, default=30.0, help="seconds to let BGP move (30)"
    )
    mnt.add_argument(
        "--timeout", type=float, default=900.0, help="seconds to wait for the tunnel (900)"
    )
    return parser.parse_args(argv)


def vpc_routers(args: argparse.Namespace) -> list[Router]:
    if args.command != "inventory" and (args.hosts or args.role):
        fail("a stack covers every router of a VPC: use --vpc, not --hosts or --role")
    routers = [router_of(h) for h in open_inventory(args).inventory.hosts.values()]
    try:
        vpc_of(routers)
    except ToolkitError as exc:
        fail(str(exc))
    return routers


def session_for(args: argparse.Namespace) -> Any:
    try:
        session = make_session(args.profile, args.region)
        require_credentials(session)
    except AwsCredentialsError as exc:
        raise BadInput(str(exc)) from exc
    return session


def confirm(question: str, assume_yes: bool) -> bool:
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        fail("refusing to change AWS without a terminal to confirm on: pass --yes")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def show_plan(plan: change_set.Plan, routers: list[Router]) -> None:
    if plan.no_changes:
        print(f"{plan.stack_name}: no changes")
        return
    rows = [
        (c.action, c.logical_id, c.resource_type, c.physical_id or "-", c.replacement or "-")
        for c in plan.changes
    ]
    print(f"{plan.stack_name}: change set ({plan.change_set_type}), {len(rows)} change(s)")
    print(table(("action", "logical id", "type", "physical id", "replace"), rows))
    for warning in tunnel_warnings(plan.changes, routers):
        print(warning)


def show_event(event: StackEvent) -> None:
    print(redact(event.line()), file=sys.stderr, flush=True)


def show_failures(failures: list[StackEvent]) -> None:
    if failures:
        print("Stack events that explain the failure:", file=sys.stderr)
        for event in failures:
            print(f"  {redact(event.line())}", file=sys.stderr)


def run_stack(args: argparse.Namespace, routers: list[Router]) -> int:
    template = build_template(routers)
    vpc = vpc_of(routers)
    name = args.stack_name or default_stack_name(vpc)
    session = session_for(args)
    cfn, ec2 = session.client("cloudformation"), session.client("ec2")
    if args.action == "status":
        state = aws_stack.status(cfn, name)
        if args.json:
            print_json(_status_json(state))
        else:
            print(f"{name}: {state.status}" + (f" ({state.reason})" if state.reason else ""))
            _print_outputs(state.outputs)
            if state.resources:
                rows = [(r["logical_id"], r["type"], r["physical_id"], r["status"])
                        for r in state.resources]  # fmt: skip
                print(table(("logical id", "type", "physical id", "status"), rows))
        show_failures(state.failures)
        return ExitCode.OK if state.exists and not state.failures else ExitCode.FAILED
    if args.action == "delete":
        if not confirm(f"Delete stack {name} and every VPN connection in it?", args.yes):
            return ExitCode.FAILED
        outcome = aws_stack.delete(cfn, name, on_event=show_event, poll_seconds=args.poll)
        return _finish(args, outcome)
    vpc_id = args.vpc_id or aws_stack.resolve_vpc_id(ec2, vpc)
    params: dict[str, str | list[str]] = {
        "VpcId": vpc_id,
        "RouteTableIds": aws_stack.route_table_ids(ec2, vpc_id),
    }
    if args.action == "plan":
        plan = change_set.plan(cfn, name, template, params, poll_seconds=min(args.poll, 3.0))
        if args.json:
            print_json(_plan_json(plan, routers))
        else:
            show_plan(plan, routers)
        return ExitCode.OK

    def approve(plan: change_set.Plan) -> bool:
        if not args.json:
            show_plan(plan, routers)
        else:  # stdout is the JSON report: the warnings still come before the change
            for warning in tunnel_warnings(plan.changes, routers):
                print(warning, file=sys.stderr)
        return confirm(f"Execute this change set on {name}?", args.yes)

    outcome = aws_stack.deploy(
        cfn, name, template, params, on_plan=approve, on_event=show_event,
        poll_seconds=args.poll,
    )  # fmt: skip
    if outcome.ok:
        # CREATE_COMPLETE is not proof: ask EC2 whether each VPN resource really exists.
        outcome.missing = aws_stack.missing_vpn_resources(cfn, ec2, name, template)
        outcome.ok = not outcome.missing
    return _finish(args, outcome, routers)


def _finish(
    args: argparse.Namespace, outcome: aws_stack.Outcome, routers: list[Router] | None = None
) -> int:
    if args.json:
        print_json(_outcome_json(outcome, routers))
    else:
        print(f"{outcome.stack_name}: {outcome.status}")
        _print_outputs(outcome.outputs)
    show_failures(outcome.failures)
    for item in outcome.missing:
        print(f"MISSING {item}", file=sys.stderr)
    return ExitCode.OK if outcome.ok else ExitCode.FAILED


def _print_outputs(outputs: dict[str, str]) -> None:
    if outputs:
        print(table(("output", "value"), sorted(outputs.items())))


def _events(events: list[StackEvent]) -> list[dict[str, str]]:
    return [
        {"time": e.timestamp.isoformat(), "logical_id": e.logical_id, "type": e.resource_type,
         "status": e.status, "reason": e.reason}
        for e in events
    ]  # fmt: skip


def _plan_json(plan: change_set.Plan, routers: list[Router] | None = None) -> dict[str, Any]:
    return {
        "tunnel_warnings": tunnel_warnings(plan.changes, routers or []),
        "stack": plan.stack_name,
        "change_set_type": plan.change_set_type,
        "no_changes": plan.no_changes,
        "changes": [vars(c) for c in plan.changes],
    }


def _outcome_json(
    outcome: aws_stack.Outcome, routers: list[Router] | None = None
) -> dict[str, Any]:
    return {
        "stack": outcome.stack_name,
        "status": outcome.status,
        "ok": outcome.ok,
        "outputs": outcome.outputs,
        "failures": _events(outcome.failures),
        "missing": outcome.missing,
        "plan": _plan_json(outcome.plan, routers) if outcome.plan else None,
    }


def _status_json(state: aws_stack.Status) -> dict[str, Any]:
    return {
        "stack": state.stack_name,
        "exists": state.exists,
        "status": state.status,
        "reason": state.reason,
        "outputs": state.outputs,
        "resources": state.resources,
        "failures": _events(state.failures),
    }


def run_inventory(args: argparse.Namespace) -> int:
    session = session_for(args)
    try:
        nr = load_with_aws(args.config, session)
    except InventoryError as exc:
        fail(f"{exc}\nThe inventory merged with AWS breaks a rule; nothing was touched.")
    except AwsError:
        raise  # AWS could not be read: the operation failed (1)
    except ToolkitError as exc:  # no such Nornir config, not YAML ...: bad input, as elsewhere
        raise BadInput(str(exc)) from exc
    rows: list[tuple[str, ...]] = []
    report: dict[str, Any] = {}
    for host in sorted(nr.inventory.hosts.values(), key=lambda h: h.name):
        router = router_of(host)
        if args.vpc and router.vpc.id != args.vpc:
            continue
        tunnels = [
            {"name": t.name, "outside_address": str(t.outside_address),
             "inside_cidr": str(t.inside_cidr), "psk": t.psk.describe()}
            for t in router.tunnels
        ]  # fmt: skip
        report[host.name] = {"vgw": router.vpc.vgw.model_dump(), "tunnels": tunnels}
        rows.extend(
            (host.name, t["name"], t["outside_address"], t["inside_cidr"], t["psk"])
            for t in tunnels
        )
    if args.json:
        print_json(report)
    else:
        print(table(("router", "tunnel", "AWS outside", "inside /30", "key"), rows))
    return ExitCode.OK


def run_maintenance(args: argparse.Namespace) -> int:
    if args.hosts or args.role:
        fail("maintenance covers a VPC's tunnels: use --vpc (and --router for apply)")
    nr = open_inventory(args, connects=args.action == "apply" and args.yes)
    routers = [router_of(h) for h in nr.inventory.hosts.values()]
    # A MaintenanceError ends the run with its own exit_code (run_main).
    vgw_id = routers[0].vpc.vgw.id if len({r.vpc.id for r in routers}) == 1 else None
    if vgw_id is None:
        raise maintenance.MaintenanceError(
            "several VPCs: choose one with --vpc", maintenance.EXIT_BAD_INPUT
        )
    session = session_for(args)
    ec2 = session.client("ec2")
    if args.action == "status":
        rows = maintenance.read_status(ec2, vgw_id, routers)
        if args.json:
            print_json([r.as_dict() for r in rows])
        else:
            print(maintenance.text_report(rows))
        return maintenance.status_exit_code(rows)
    by_name = args.router is not None or args.tunnel is not None
    by_id = args.vpn_connection_id is not None or args.outside_ip is not None
    if (
        by_name == by_id
        or (by_name and not (args.router and args.tunnel))
        or (by_id and not (args.vpn_connection_id and args.outside_ip))
    ):
        fail("apply: name one tunnel: --router R --tunnel T, or --vpn-connection-id ID "
             "--outside-ip IP")  # fmt: skip

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    def verify(router: Router) -> int:
        """verify of the router's VPC: routers over SSH, AWS side with this session
        (--profile/--region), no data-plane probe."""
        from tasks.verify import run_verify
        from tasks.verify_extra import aws_side

        vpc = nr.filter(filter_func=lambda h: router_of(h).vpc.id == router.vpc.id)
        return run_verify(vpc, [lambda rs: aws_side(rs, session=session)]).exit_code

    options = ApplyOptions(
        vpn_connection_id=args.vpn_connection_id, outside_ip=args.outside_ip,
        router=args.router, tunnel=args.tunnel, yes=args.yes, drain=args.drain,
        drained=args.drained, timeout=args.timeout, poll=args.poll,
    )  # fmt: skip
    drain = prepend_drain(nr.inventory.hosts, routers, settle=args.drain_settle, say=say)
    report = apply_maintenance(ec2, vgw_id, routers, options, drain=drain, verify=verify,
                               say=say)  # fmt: skip
    if args.json:
        print_json(report.as_dict())
    else:
        print(report.outcome)
    return report.exit_code


def main(argv: list[str] | None = None) -> int:
    return run_main(_main, argv)


def _main(argv: list[str] | None) -> int:
    args = parse_args(argv)
    setup_logging(args.verbose, args.log_file)
    try:
        if args.command == "inventory":
            return run_inventory(args)
        if args.command == "maintenance":
            return run_maintenance(args)
        routers = vpc_routers(args)
        if args.command == "template":
            template = build_template(routers)
            if args.output:
                write_template(template, args.output)
            else:
                print(template_text(template), end="")
            return ExitCode.OK
        return run_stack(args, routers)
    except AwsCredentialsError as exc:  # e.g. verify's AWS side, after maintenance apply
        raise BadInput(str(exc)) from exc


if __name__ == "__main__":
    raise SystemExit(main())
