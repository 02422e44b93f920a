#!/usr/bin/env python3
"""callinfo — differential interop: one flow through Kamailio's sca module and
through sca-server (--dialect broadworks, dialog-driven mode), compared.

  interop.py --server PATH [--flow NAME|all] [--kamailio PATH] [--sipp PATH] [--keep]

For each flow and each server, on 127.0.0.1 and free ports, in a temporary
directory: starts the server (Kamailio with kamailio.cfg beside this file, or
sca-server --dialect broadworks --line bob --route alice=... --route bob=...),
then the same SIPp phones (sipp/ beside this file, the demo's callee
scenarios): the call-info watcher, bob's line-seize side, bob's calls, alice.
Each phone logs every response it gets (RESP|<method>|<code>) and every
NOTIFY (NOTIFY|FINAL|SEIZE|LATE, Subscription-State, Call-Info).

The two records are compared per phone, after the named normalisation rules
of README.md's divergence table (D1..D7, below). Any other difference fails.
Both records are printed side by side.

Exit status: 0 same, 1 different or a phone failed, 2 usage error, 77 when
Kamailio is not installed and cannot be (meson's skip).
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
MINE = os.path.join(HERE, 'sipp')
DEMO = os.path.join(ROOT, 'tests', 'system', 'sipp', 'dialog')
TABLES = '/usr/share/kamailio/dbtext/kamailio'
LINE = 'sip:bob@127.0.0.1'

# watcher: the call-info watcher's scenario; seize: bob's phone seizes
# appearance 1 before anything else; conflict: a second phone then asks for
# appearance 1 too; caller/callee: bob's call; after_final: the call starts
# once the watcher has unsubscribed.
FLOWS = {
    'basic': dict(watcher='watcher.xml', seize=False, caller='caller-basic.xml', callee='callee.xml'),
    'hold': dict(watcher='watcher.xml', seize=True, caller='caller-hold.xml', callee='callee.xml'),
    'cancel': dict(watcher='watcher.xml', seize=True, caller='caller-cancel.xml', callee='callee-cancel.xml'),
    'seize-call': dict(watcher='watcher.xml', seize=True, caller='caller-basic.xml', callee='callee.xml'),
    'seize-conflict': dict(watcher='watcher.xml', seize=True, conflict=True),
    'incoming': dict(watcher='watcher.xml', seize=False, caller='caller-incoming.xml', callee='callee-line.xml',
                     incoming=True),
    'unsubscribe': dict(watcher='watcher-unsubscribe.xml', seize=True, caller='caller-basic.xml',
                        callee='callee.xml', after_final=True),
}
ROLES = ['watcher', 'phone', 'phone2', 'caller', 'callee']


def scenario(name):
    p = os.path.join(MINE, name)
    return p if os.path.exists(p) else os.path.join(DEMO, name)


def free_ports(n):
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(('127.0.0.1', 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def wait_for(cond, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def log_has(path, prefix):
    try:
        with open(path, errors='replace') as f:
            return any(line.startswith(prefix) for line in f)
    except FileNotFoundError:
        return False


class Side:
    """One server and the phones of one flow; every process is ours to stop."""

    def __init__(self, kind, flow, args, work, attempt=1):
        self.kind, self.flow, self.args = kind, flow, args
        self.dir = os.path.join(work, '%s-%d' % (kind, attempt))
        os.makedirs(self.dir)
        self.procs = {}     # role -> Popen
        self.status = {}    # role -> exit status
        self.errors = []
        self.server = None

    def path(self, name):
        return os.path.join(self.dir, name)

    def start_server(self):
        for _ in range(3):
            self.port, self.wport, self.pport, self.p2port, self.aport, self.bport = free_ports(6)
            log = open(self.path('server.log'), 'w')
            if self.kind == 'kamailio':
                db = self.path('db')
                os.makedirs(db, exist_ok=True)
                for t in ('sca_subscriptions', 'version'):
                    shutil.copy(os.path.join(TABLES, t), db)
                    os.chmod(os.path.join(db, t), 0o644)
                self.ctl = self.path('kamailio_ctl')
                cmd = [self.args.kamailio, '-DD', '-E', '-f', os.path.join(HERE, 'kamailio.cfg'),
                       '-l', 'udp:127.0.0.1:%d' % self.port, '-Y', self.dir, '-w', self.dir, '-m', '64', '-M', '8',
                       '-A', 'DBURL="text://%s"' % db, '-A', 'CTLSOCK="unix:%s"' % self.ctl,
                       '-A', 'ALICE_DST="sip:127.0.0.1:%d"' % self.aport,
                       '-A', 'BOB_DST="sip:127.0.0.1:%d"' % self.bport]
                ready = lambda: os.path.exists(self.ctl) and self.kamailio_up()
            else:
                cmd = [self.args.server, '--port', str(self.port), '--dialect', 'broadworks', '--line', 'bob',
                       '--route', 'alice=127.0.0.1:%d' % self.aport, '--route', 'bob=127.0.0.1:%d' % self.bport]
                ready = lambda: any('listening on' in line for line in open(self.path('server.log'), errors='replace'))
            self.server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            log.close()
            if wait_for(lambda: self.server.poll() is None and ready(), 10):
                return True
            self.stop_server()
            text = open(self.path('server.log'), errors='replace').read()
            if not re.search(r'bind|address already in use', text, re.I):
                break
        self.errors.append('%s did not start' % self.kind)
        return False

    def kamailio_up(self):
        kamcmd = shutil.which('kamcmd') or '/usr/sbin/kamcmd'
        try:
            return subprocess.run([kamcmd, '-s', 'unix:' + self.ctl, 'core.uptime'], capture_output=True,
                                  timeout=2).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            return False

    def stop_server(self):
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(10)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
        self.server = None

    def sipp(self, role, xml, port, service, limit):
        cmd = [self.args.sipp, '-sf', scenario(xml), '-i', '127.0.0.1', '-p', str(port), '-m', '1', '-l', '1',
               '-nostdin', '-timeout_error', '-trace_logs', '-trace_err', '-timeout', '%ds' % limit,
               '-log_file', self.path(role + '.log'), '-error_file', self.path(role + '.err'), '-s', service]
        if role != 'callee':
            cmd.append('127.0.0.1:%d' % self.port)
        out = open(self.path(role + '.out'), 'w')
        self.procs[role] = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        out.close()

    def wait(self, role, seconds):
        p = self.procs.get(role)
        if p is None or role in self.status:
            return
        try:
            self.status[role] = p.wait(seconds)
        except subprocess.TimeoutExpired:
            p.terminate()
            p.wait()
            self.status[role] = 'timeout'
        if self.status[role] != 0:
            self.errors.append('%s exited with %s' % (role, self.status[role]))

    def run(self):
        f = FLOWS[self.flow]
        try:
            if not self.start_server():
                return
            self.sipp('watcher', f['watcher'], self.wport, 'bob', 45)
            if not wait_for(lambda: log_has(self.path('watcher.log'), 'NOTIFY|'), 10):
                self.errors.append('the watcher got no initial NOTIFY')
                return
            if f.get('after_final') and not wait_for(lambda: log_has(self.path('watcher.log'), 'FINAL|'), 10):
                self.errors.append('the watcher got no terminated NOTIFY')
                return
            if f['seize']:
                self.sipp('phone', 'seizer.xml', self.pport, 'bob', 30)
                if not wait_for(lambda: log_has(self.path('phone.log'), 'SEIZE|') or
                                log_has(self.path('phone.log'), 'RESP|SUBSCRIBE|4'), 10):
                    self.errors.append('the phone got no line-seize NOTIFY')
                    return
            if f.get('conflict'):
                self.sipp('phone2', 'seizer.xml', self.p2port, 'bob', 20)
                self.wait('phone2', 30)
            if f.get('caller'):
                # an incoming call: alice (the outside phone) calls the line
                callee_port, caller_port, to = ((self.bport, self.aport, 'bob') if f.get('incoming')
                                                else (self.aport, self.bport, 'alice'))
                self.sipp('callee', f['callee'], callee_port, to, 30)
                time.sleep(0.3)
                self.sipp('caller', f['caller'], caller_port, to, 30)
                self.wait('caller', 40)
                self.wait('callee', 40)
            for role in ('phone', 'watcher'):
                self.wait(role, 60)
        finally:
            for role, p in self.procs.items():
                if p.poll() is None:
                    p.terminate()
                    p.wait()
                    self.status.setdefault(role, 'stopped')
            self.stop_server()

    def port_taken(self):
        """A phone could not bind its port (taken between free_ports() and SIPp)."""
        for role in self.procs:
            try:
                text = open(self.path(role + '.out'), errors='replace').read()
            except FileNotFoundError:
                continue
            if re.search(r'address already in use', text, re.I):
                return True
        return False

    def record(self):
        """role -> list of events, as logged by that phone."""
        rec = {}
        for role in ROLES:
            path = self.path(role + '.log')
            if role not in self.procs:
                continue
            rec[role] = []
            if not os.path.exists(path):
                continue
            for line in open(path, errors='replace'):
                ev = parse_event(line.rstrip('\n'))
                if ev is not None:
                    rec[role].append(ev)
        return rec

    def diagnostics(self):
        out = []
        for name in ['server.log'] + [r + s for r in ROLES for s in ('.out', '.err')]:
            p = self.path(name)
            if os.path.exists(p) and os.path.getsize(p) > 0:
                lines = open(p, errors='replace').read().splitlines()
                if name == 'server.log' and self.kind == 'kamailio':
                    lines = [l for l in lines if 'sca' in l and 'sctp' not in l]
                out.append('--- %s (%s)' % (name, self.kind))
                out += lines[-40:]
        return out


# ---- records ----------------------------------------------------------------

def split_entries(value):
    """Call-Info entries: commas outside <...> and quotes separate them."""
    entries, cur, quoted, angle = [], '', False, False
    for ch in value:
        if ch == '"' and not angle:
            quoted = not quoted
        elif ch == '<' and not quoted:
            angle = True
        elif ch == '>' and not quoted:
            angle = False
        if ch == ',' and not quoted and not angle:
            entries.append(cur)
            cur = ''
        else:
            cur += ch
    if cur.strip():
        entries.append(cur)
    return entries


def parse_entry(e):
    uri = re.match(r'\s*<([^>]*)>', e)
    idx = re.search(r';\s*appearance-index=([^;\s]+)', e)
    st = re.search(r';\s*appearance-state=([^;\s]+)', e)
    auri = re.search(r';\s*appearance-uri=("[^"]*"|[^;\s]+)', e)
    return (uri.group(1) if uri else '-', idx.group(1) if idx else '-', st.group(1) if st else '-',
            auri.group(1).strip('"') if auri else '-')


def parse_event(line):
    """('RESP', method, code) or (kind, substate, entries); None for other lines."""
    parts = line.split('|')
    if parts[0] == 'RESP' and len(parts) == 3:
        return ('RESP', parts[1], parts[2])
    if parts[0] in ('NOTIFY', 'FINAL', 'SEIZE', 'LATE') and len(parts) >= 3:
        ss = parts[1].strip()
        # whether ;expires= is there is compared, not the seconds left (timing)
        ss = ';'.join(re.sub(r'^expires=.*', 'expires', p.strip()) for p in ss.split(';'))
        ci = '|'.join(parts[2:]).strip()
        return (parts[0], ss, tuple(parse_entry(e) for e in split_entries(ci)))
    return None


def show(ev):
    if ev[0] == 'RESP':
        return 'RESP %s %s' % (ev[1], ev[2])
    entries = ' '.join('(%s,%s,%s)' % (i, s, u) for (_, i, s, u) in ev[2]) or '-'
    uris = sorted({e[0] for e in ev[2]})
    return '%s %s %s %s' % (ev[0], ev[1], entries, ','.join(uris))


# ---- normalisation rules (README.md, "Differences"), each one divergence ------

def d1_unseized_call_not_shown(ours, kam, flow):
    """D1: Kamailio follows a call only on an appearance seized beforehand:
    for a call without a seize its watchers see the line idle. Our NOTIFYs
    are shown as Kamailio's would be (appearances of the call dropped, the
    repeats this makes collapsed)."""
    if FLOWS[flow]['seize'] or 'caller' not in FLOWS[flow] or FLOWS[flow].get('incoming'):
        return ours, kam
    out = {}
    for role, evs in ours.items():
        new = []
        for ev in evs:
            if ev[0] != 'RESP':
                ev = (ev[0], ev[1], tuple(e for e in ev[2] if e[1] == '*'))
                if new and new[-1] == ev:
                    continue
            new.append(ev)
        out[role] = new
    return out, kam


def d2_entry_uri_is_domain(ours, kam, flow):
    """D2: Kamailio's Call-Info entries name the line's domain (<sip:127.0.0.1>),
    ours the line (<sip:bob@127.0.0.1>)."""
    domain = 'sip:' + LINE.split('@', 1)[1]
    out = {}
    for role, evs in kam.items():
        out[role] = [ev if ev[0] == 'RESP' else
                     (ev[0], ev[1], tuple((LINE if u == domain else u, i, s, a) for (u, i, s, a) in ev[2]))
                     for ev in evs]
    return ours, out


def d3_no_uri_while_progressing(ours, kam, flow):
    """D3: Kamailio's progressing appearance has no appearance-uri; ours
    names the callee already."""
    out = {}
    for role, evs in ours.items():
        out[role] = [ev if ev[0] == 'RESP' else
                     (ev[0], ev[1], tuple((u, i, s, '-' if s == 'progressing' else a) for (u, i, s, a) in ev[2]))
                     for ev in evs]
    return out, kam


def d4_repeated_notify(ours, kam, flow):
    """D4: Kamailio notifies call-info watchers again on call events that do
    not change the line; consecutive identical NOTIFYs count once."""
    out = {}
    for role, evs in kam.items():
        new = []
        for ev in evs:
            if ev[0] == 'NOTIFY' and new and new[-1] == ev:
                continue
            new.append(ev)
        out[role] = new
    return ours, out


def d5_notify_after_unsubscribe(ours, kam, flow):
    """D5: Kamailio keeps an unsubscribed call-info subscription (state
    terminated) until its purge timer and goes on NOTIFYing it, with
    Subscription-State: terminated; those NOTIFYs after the final one
    (LATE) are dropped. A LATE NOTIFY that is not terminated still counts."""
    out = {}
    for role, evs in kam.items():
        out[role] = [ev for ev in evs if not (ev[0] == 'LATE' and ev[1].startswith('terminated'))]
    return ours, out


def d6_no_alerting_for_incoming(ours, kam, flow):
    """D6: Kamailio shows an incoming call to the line only once answered
    (its 18x handler follows the caller's line only); our NOTIFYs with an
    alerting appearance are dropped, incoming flow only."""
    if not FLOWS[flow].get('incoming'):
        return ours, kam
    out = {}
    for role, evs in ours.items():
        out[role] = [ev for ev in evs if ev[0] == 'RESP' or all(e[2] != 'alerting' for e in ev[2])]
    return out, kam


def d7_outside_bye_not_seen(ours, kam, flow):
    """D7: when the outside caller of an incoming call hangs up, Kamailio
    does not find the line's appearance and leaves it active. In our watcher
    record the NOTIFY of that hang-up is dropped and the final NOTIFY shows
    the line as it was before it, incoming flow only."""
    if not FLOWS[flow].get('incoming') or 'watcher' not in ours:
        return ours, kam
    evs = list(ours['watcher'])
    notifies = [n for n, ev in enumerate(evs) if ev[0] == 'NOTIFY']
    if len(notifies) >= 2:
        last, before = notifies[-1], evs[notifies[-2]]
        del evs[last]
        evs = [(ev[0], ev[1], before[2]) if ev[0] == 'FINAL' else ev for ev in evs]
    out = dict(ours)
    out['watcher'] = evs
    return out, kam


RULES = [d1_unseized_call_not_shown, d2_entry_uri_is_domain, d3_no_uri_while_progressing, d4_repeated_notify,
         d5_notify_after_unsubscribe, d6_no_alerting_for_incoming, d7_outside_bye_not_seen]


def normalise(ours, kam, flow):
    for rule in RULES:
        ours, kam = rule(ours, kam, flow)
    return ours, kam


# ---- the flow -----------------------------------------------------------------

def side_by_side(title, ours, kam):
    lines = [title]
    w = 64
    lines.append('  %-4s %-*s | %s' % ('#', w, 'sca-server --dialect broadworks', 'Kamailio sca'))
    for role in ROLES:
        a, b = ours.get(role), kam.get(role)
        if a is None and b is None:
            continue
        a, b = a or [], b or []
        lines.append('  [%s]' % role)
        for n in range(max(len(a), len(b))):
            x = show(a[n]) if n < len(a) else ''
            y = show(b[n]) if n < len(b) else ''
            mark = ' ' if x == y else '*'
            lines.append('%s %-4d %-*s | %s' % (mark, n + 1, w, x, y))
    return lines


def run_flow(flow, args):
    work = tempfile.mkdtemp(prefix='callinfo-interop-%s.' % flow)
    os.chmod(work, 0o755)
    sides = {}
    try:
        for kind in ('ours', 'kamailio'):
            sides[kind] = Side(kind, flow, args, work)
            sides[kind].run()
            if sides[kind].errors and sides[kind].port_taken():
                print('interop %s: %s: a port was taken meanwhile, once more on others' % (flow, kind),
                      file=sys.stderr)
                sides[kind] = Side(kind, flow, args, work, attempt=2)
                sides[kind].run()
        ours, kam = sides['ours'].record(), sides['kamailio'].record()
        print()
        print('Flow %r: what each phone received (Call-Info entries as (index,state,appearance-uri), '
              'then the entry URIs)' % flow)
        for l in side_by_side('as received:', ours, kam):
            print(l)
        n_ours, n_kam = normalise(ours, kam, flow)
        print()
        for l in side_by_side('after rules %s:' % ', '.join(r.__name__ for r in RULES), n_ours, n_kam):
            print(l)
        ok = True
        for kind, side in sides.items():
            for e in side.errors:
                print('interop %s: %s: %s' % (flow, kind, e), file=sys.stderr)
                ok = False
        if n_ours != n_kam:
            print('interop %s: FAIL: the records differ (lines marked *)' % flow, file=sys.stderr)
            ok = False
        if not ok:
            for side in sides.values():
                for l in side.diagnostics():
                    print(l, file=sys.stderr)
        else:
            print('interop %s: same after the rules' % flow)
        return ok
    finally:
        if args.keep:
            print('interop: logs kept in %s' % work, file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def ensure_kamailio(args):
    if args.kamailio:
        return os.access(args.kamailio, os.X_OK)
    found = shutil.which('kamailio') or ('/usr/sbin/kamailio' if os.access('/usr/sbin/kamailio', os.X_OK) else None)
    if not found:
        subprocess.run(['bash', '-c', '. "$1/scripts/lib/deps.sh" && ensure_packages kamailio', '-', ROOT],
                       stdout=sys.stderr)
        found = shutil.which('kamailio') or ('/usr/sbin/kamailio' if os.access('/usr/sbin/kamailio', os.X_OK)
                                             else None)
    args.kamailio = found
    return found is not None and all(os.path.exists(os.path.join(TABLES, t)) for t in ('sca_subscriptions', 'version'))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--server', required=True, help='the sca-server executable')
    ap.add_argument('--flow', default='all', choices=['all'] + list(FLOWS))
    ap.add_argument('--kamailio')
    ap.add_argument('--sipp')
    ap.add_argument('--keep', action='store_true', help='keep the work directory (logs)')
    args = ap.parse_args()
    args.sipp = args.sipp or shutil.which('sipp')
    if not args.sipp or not os.access(args.server, os.X_OK):
        print('interop: need sipp (sip-tester) and an sca-server executable', file=sys.stderr)
        return 2
    if not ensure_kamailio(args):
        print('interop: kamailio (Debian package kamailio) is not installed and could not be: skipped',
              file=sys.stderr)
        return 77
    flows = list(FLOWS) if args.flow == 'all' else [args.flow]
    ok = True
    for f in flows:
        ok = run_flow(f, args) and ok
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
