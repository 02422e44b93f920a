#!/usr/bin/env python3
"""callinfo — sca-server --dialect opensips against recorded OpenSIPS
presence_callinfo transcripts (golden/, see README.md).

  interop.py --server PATH --flow NAME [--keep] [--transcript FILE]

Starts sca-server --dialect opensips on free UDP ports of 127.0.0.1 (PUBLISH
mode: only --route for the call that runs beside the publications;
dialog-driven mode: --line alice --line bob and a --route per phone), plays
the golden transcript's steps of the flow with plain-Python user agents,
writes a transcript in the recorder's format (timestamps, one line per
message sent, the headers that matter for each message received),
normalises it as the recorded one was (timestamps, NOTIFY CSeq,
Subscription-State expires=N, SIP-ETags numbered in order of appearance,
grouped per user agent) and compares it step by step with the golden one:
per user agent the responses (code, Expires, SIP-ETag, Retry-After,
Allow-Events, Event), the NOTIFYs of each event package (Event,
Subscription-State, Call-Info) and the methods of the other requests it got.

Every difference must be one of the named rules of README.md (RULES below,
each tied to flows, steps and user agents); anything else fails.

Exit status: 0 same after the rules, 1 different, 2 usage error, 77 when
sca-server cannot be run (meson's skip).
"""

import argparse
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'support'))
import sip_agent  # noqa: E402  (free_udp_port)

GOLDEN = os.path.join(HERE, 'golden')
SHOW_HDRS = ['Event', 'Subscription-State', 'Call-Info', 'Expires', 'Min-Expires', 'Retry-After',
             'SIP-ETag', 'Allow-Events', 'Warning', 'Contact', 'Content-Type']
SENT_HDRS = ('Event', 'Expires', 'Call-Info', 'SIP-If-Match', 'X-SCA-Parties', 'X-SCA-Called-Line')
COMPACT = {'i': 'Call-ID', 'f': 'From', 't': 'To', 'v': 'Via', 'm': 'Contact', 'l': 'Content-Length',
           'c': 'Content-Type', 'o': 'Event', 'u': 'Allow-Events'}
# The ports the recording used, so that our transcript reads like it
GOLDEN_PORTS = {'W1': 5181, 'W2': 5182, 'W3': 5183, 'PUB': 5185, 'PB2': 5186, 'A': 5188, 'B': 5190,
                'A1': 5181, 'A2': 5182, 'BW': 5191, 'C': 5195}
SERVER_GOLDEN_PORT = 5072


# ---- the flows: which golden file, which steps, which mode -----------------

FLOWS = {
    'publish': dict(golden='publish.norm.txt', mode='publish',
                    steps=['P01', 'P02', 'P03', 'P04', 'P05', 'P06', 'P07', 'P08', 'P09', 'P10', 'P11',
                           'P12', 'P13', 'P16', 'P18']),
    'publish-limits': dict(golden='publish.norm.txt', mode='publish',
                           steps=['P01', 'P02', 'P03', 'P19', 'P20', 'P21', 'P22']),
    'subscription': dict(golden='publish.norm.txt', mode='publish',
                         steps=['P01', 'P02', 'P03', 'P24', 'P25', 'P26']),
    'seize': dict(golden='dialog.norm.txt', mode='dialog',
                  steps=['D01', 'D02', 'D03', 'D04', 'D05', 'D06', 'D07', 'D08', 'D09', 'D10', 'D18']),
    'call-180': dict(golden='dialog.norm.txt', mode='dialog', provisional=(180,),
                     steps=['D01', 'D02', 'D03', 'D08', 'D11', 'D12', 'D13', 'D14', 'D15', 'D15b', 'D15c',
                            'D16', 'D18']),
    'call-183': dict(golden='dialog-183-180.norm.txt', mode='dialog', provisional=(183, 180),
                     steps=['D01', 'D02', 'D03', 'D08', 'D11', 'D12', 'D13', 'D16', 'D18']),
    'cancel': dict(golden='dialog.norm.txt', mode='dialog', provisional=(180,),
                   steps=['D01', 'D02', 'D03', 'D34']),
    'busy': dict(golden='dialog.norm.txt', mode='dialog', provisional=(180,),
                 steps=['D01', 'D02', 'D03', 'D35']),
    'index-2': dict(golden='dialog.norm.txt', mode='dialog', provisional=(180,),
                    steps=['D01', 'D02', 'D03', 'D36', 'D37']),
    'incoming': dict(golden='dialog.norm.txt', mode='dialog', provisional=(180,),
                     steps=['D01', 'D02', 'D03', 'D29', 'D30', 'D31', 'D32', 'D33']),
    'seize-lifecycle': dict(golden='dialog.norm.txt', mode='dialog', provisional=(180,),
                            steps=['D01', 'D02', 'D03', 'D38', 'D39', 'D40', 'D41', 'D41b', 'D41b2', 'D41c',
                                   'D43', 'D44']),
}


# ---- transcript --------------------------------------------------------------

class Transcript:
    def __init__(self):
        self.t0 = time.time()
        self.lines = []
        self.ports = {}  # our port -> the recording's

    def log(self, line=''):
        for ours, theirs in self.ports.items():
            line = line.replace('127.0.0.1:%d' % ours, '127.0.0.1:%d' % theirs)
        self.lines.append(line)

    def stamp(self):
        return '%+7.3f' % (time.time() - self.t0)

    def text(self):
        return '\n'.join(self.lines) + '\n'


def normalise(text):
    """The recorder's normalisation of a transcript: step headings kept, the
    requests sent listed first (timestamps dropped), then what each user
    agent received grouped under [NAME] (names sorted, driver notes last),
    NOTIFY CSeq as N, Subscription-State expires=N, SIP-ETag values as
    ETAG1, ETAG2, ... in order of first appearance."""
    etags = {}

    def etag(v):
        return etags.setdefault(v, 'ETAG%d' % (len(etags) + 1))

    out = []
    step = None

    def flush():
        if step is None:
            return
        out.append(step['title'])
        out.extend(step['sent'])
        for name in sorted(step['recv']):
            out.append('  [%s]' % name)
            out.extend(step['recv'][name])
        if step['notes']:
            out.append('  [MI / driver]')
            out.extend(step['notes'])

    cur = None
    for line in text.splitlines():
        if line.startswith('#') or not line.strip():
            continue
        if line.startswith('=== STEP:'):
            flush()
            step = dict(title=line, sent=[], recv={}, notes=[])
            cur = None
            continue
        if step is None:
            continue
        m = re.match(r'\s+[+-]\d+\.\d+ (\S+)\s+-> (.*)$', line)
        if m:
            sent = re.sub(r'SIP-If-Match: ([^;\]]+)', lambda x: 'SIP-If-Match: ' + (
                etag(x.group(1)) if x.group(1) != 'no-such-etag' else x.group(1)), m.group(2))
            step['sent'].append('  %s -> %s' % (m.group(1), sent))
            cur = None
            continue
        m = re.match(r'\s+[+-]\d+\.\d+ (\S+)\s+<- (.*)$', line)
        if m:
            cur = step['recv'].setdefault(m.group(1), [])
            cur.append('    <- ' + m.group(2))
            continue
        if re.match(r'\s+(--|MI) ', line):
            step['notes'].append('    ' + line.strip())
            cur = step['notes']
            continue
        if cur is not None:
            body = line.strip()
            body = re.sub(r'^CSeq: \d+ NOTIFY$', 'CSeq: N NOTIFY', body)
            body = re.sub(r'expires=\d+', 'expires=N', body)
            body = re.sub(r'^SIP-ETag: (.*)$', lambda x: 'SIP-ETag: ' + etag(x.group(1)), body)
            body = re.sub(r'"seize_expires": -?\d+', '"seize_expires": N', body)
            body = re.sub(r'"seize_expires_ts": \d+', '"seize_expires_ts": TS', body)
            cur.append('       ' + body)
    flush()
    return '\n'.join(out) + '\n'


# ---- comparison --------------------------------------------------------------

RESPONSE_HDRS = ('Expires', 'SIP-ETag', 'Retry-After', 'Allow-Events', 'Min-Expires', 'Event')


def parse_norm(text):
    """{step id: {ua: {'resp': [...], 'notify': {event: [...]}, 'req': [...]}}} and the step order."""
    steps, order = {}, []
    step = ua = msg = None
    for line in text.splitlines():
        m = re.match(r'=== STEP: (\S+)', line)
        if m:
            step = steps.setdefault(m.group(1), {})
            order.append(m.group(1))
            ua = msg = None
            continue
        m = re.match(r'  \[(.*)\]$', line)
        if m and step is not None:
            ua = None if m.group(1) == 'MI / driver' else step.setdefault(
                m.group(1), dict(resp=[], notify={}, req=[]))
            msg = None
            continue
        if ua is None:
            continue
        m = re.match(r'    <- (.*)$', line)
        if m:
            start = m.group(1)
            msg = dict(start=start, hdrs=[])
            if start.startswith('SIP/2.0 '):
                msg['kind'] = 'resp'
                ua['resp'].append(msg)
            elif start.startswith('NOTIFY '):
                msg['kind'] = 'notify'
                ua['notify'].setdefault('?', []).append(msg)
            else:
                msg['kind'] = 'req'
                ua['req'].append(msg)
            continue
        m = re.match(r'       ([A-Za-z-]+): (.*)$', line)
        if m and msg is not None:
            msg['hdrs'].append((m.group(1), m.group(2)))
    # NOTIFYs per event package (their order across packages is a race)
    for st in steps.values():
        for u in st.values():
            byev = {}
            for n in u['notify'].get('?', []):
                byev.setdefault(hdr(n, 'Event'), []).append(n)
            u['notify'] = byev
    return steps, order


def hdr(msg, name):
    vals = [v for n, v in msg['hdrs'] if n.lower() == name.lower()]
    return ', '.join(vals) if vals else None


def observe(ua, etags):
    """What is compared for one user agent in one step. A SIP-ETag is
    compared as its behaviour: `new` (never seen before in the run) or
    `kept` (one the server gave before)."""
    out = []
    for r in ua['resp']:
        code = r['start'].split()[1]
        extra = []
        for h in RESPONSE_HDRS:
            v = hdr(r, h)
            if v is None:
                continue
            if h == 'SIP-ETag':
                v = 'kept' if v in etags else 'new'
                etags.add(hdr(r, h))
            extra.append('%s=%s' % (h, canon(h, v)))
        out.append(' '.join(['RESP', code] + extra))
    for ev in sorted(ua['notify']):
        for n in ua['notify'][ev]:
            out.append('NOTIFY [%s] %s | %s' % (ev, hdr(n, 'Subscription-State'), hdr(n, 'Call-Info') or '-'))
    for q in ua['req']:
        out.append('REQ %s' % q['start'].split()[0])
    return out


def canon(name, value):
    if name == 'Allow-Events':  # a list of event types: order carries nothing (RFC 6665 §8.2.2)
        return ','.join(sorted(v.strip() for v in value.split(',')))
    return value


def observations(steps, order, ids):
    etags, out = set(), {}
    for s in order:
        obs = {ua: observe(d, etags) for ua, d in sorted(steps.get(s, {}).items())}
        if s in ids:
            out[s] = obs
    return out


# ---- named rules (README.md, "Differences") ----------------------------------
#
# Each rule: id, the flows and steps it applies to, the user agents, and a
# function (ours, golden) -> (ours, golden) on the list of observations of
# that user agent in that step. A rule must change something where it is
# listed (a rule that no longer matches fails the test: the difference is
# gone, or has moved, and the table must say so).

RULES = []
CALL_FLOWS = ['call-180', 'call-183', 'cancel', 'busy']
PUBLISH_FLOWS = ['publish', 'publish-limits']
ALL = '*'


def rule(rid, flows, steps, uas):
    """Registers a rule; its docstring is its reason (README.md has the same table)."""
    def deco(fn):
        RULES.append(dict(id=rid, flows=flows, steps=steps, uas=uas, fn=fn))
        return fn
    return deco


def apply_rules(flow, ours, gold):
    used, unused = [], []
    for r in RULES:
        if r['flows'] != ALL and flow not in r['flows']:
            continue
        changed = False
        for s in ours:
            if r['steps'] != ALL and s not in r['steps']:
                continue
            for ua in sorted(set(ours[s]) | set(gold[s])):
                if r['uas'] != ALL and ua not in r['uas']:
                    continue
                o, g = ours[s].get(ua, []), gold[s].get(ua, [])
                o2, g2 = r['fn'](list(o), list(g))
                if (o2, g2) != (o, g):
                    changed = True
                ours[s][ua], gold[s][ua] = o2, g2
        (used if changed else unused).append(r['id'])
    return used, unused


def entries(call_info):
    """{appearance-index: appearance-state} of a Call-Info value in either
    form (one entry with repeated params, or one entry per appearance)."""
    return dict(re.findall(r'appearance-index=([^;,\s]+);appearance-state=([^;,\s]+)', call_info))


@rule('O1', ALL, ALL, ALL)
def o1_event_in_responses(ours, gold):
    """Every response of sca-server to a SUBSCRIBE or PUBLISH carries the
    request's Event (the library's write_response_headers()); OpenSIPS
    sends none. Ours loses its Event."""
    return [re.sub(r' Event=\S+', '', l) if l.startswith('RESP') else l for l in ours], gold


@rule('O2', ALL, ALL, ALL)
def o2_allow_events_in_subscribe_2xx(ours, gold):
    """sca-server's 2xx to a SUBSCRIBE carries Allow-Events (RFC 6665 §8.2.2
    allows it in any response); OpenSIPS' has none. Ours loses it in 200s."""
    return [re.sub(r' Allow-Events=\S+', '', l) if l.startswith('RESP 200') else l for l in ours], gold


@rule('O3', ['publish'], ['P04'], ['W3'])
def o3_dialog_in_allow_events(ours, gold):
    """The 489 for Event: dialog lists `dialog` too: sca-server serves
    Event: dialog;shared (RFC 7463) and Allow-Events names packages without
    parameters (RFC 6665 §8.4); OpenSIPS lists line-seize, call-info."""
    return [l.replace('Allow-Events=call-info,dialog,line-seize', 'Allow-Events=call-info,line-seize')
            if l.startswith('RESP 489') else l for l in ours], gold


@rule('O4', ['seize', 'seize-lifecycle', 'index-2'] + CALL_FLOWS,
      ['D08', 'D34', 'D35', 'D36', 'D38', 'D41', 'D41b2', 'D41c'], ['A1', 'A2'])
def o4_seize_expires_capped(ours, gold):
    """A line-seize asking for more than 15 s (30, a refresh to 20, 7200)
    gets 15 from sca-server (the library's line_seize_max_expires,
    Kamailio's and BroadWorks' 15 s) and what it asked for, up to 3600,
    from OpenSIPS (the recording's max_expires_subscribe caps every
    package). Our n-th 200 with Expires=15 reads as OpenSIPS' n-th 200 when
    that one granted more."""
    granted = [l for l in gold if l.startswith('RESP 200 Expires=')]
    out, n = [], 0
    for l in ours:
        if l.startswith('RESP 200 Expires='):
            g = granted[n] if n < len(granted) else None
            n += 1
            if l == 'RESP 200 Expires=15' and g and int(g.split('=')[1]) > 15:
                l = g
        out.append(l)
    return out, gold


@rule('O5', ['seize', 'seize-lifecycle', 'index-2'] + CALL_FLOWS,
      ['D18', 'D34', 'D35', 'D37', 'D39', 'D41', 'D41b', 'D41b2', 'D41c'], ['A1', 'A2'])
def o5_final_seize_notify_names_appearance(ours, gold):
    """The line-seize NOTIFY that ends the seize (terminated;reason=timeout)
    still names the appearance in Call-Info in sca-server; OpenSIPS' has no
    Call-Info. Ours loses the Call-Info of that NOTIFY."""
    return [re.sub(r'^(NOTIFY \[line-seize\] terminated\S*) \| .*$', r'\1 | -', l) for l in ours], gold


@rule('O6', CALL_FLOWS + ['seize-lifecycle', 'index-2'], ['D11', 'D34', 'D35', 'D36', 'D39'], ['A1', 'A2'])
def o6_no_progressing_for_caller(ours, gold):
    """sca-server shows the caller's appearance `progressing` from the
    first 18x (the call-info package's state for an outgoing call that
    rings); OpenSIPS sends nothing for the caller until the 2xx (active) or
    the end of the call. Our progressing NOTIFYs are dropped. (D39: the
    order of the remaining NOTIFYs is the same, but not their moment:
    OpenSIPS shows the line idle when the seize is un-SUBSCRIBEd while the
    call is up, sca-server when the call's BYE ends it; the comparison is
    per step, so both read `active` then idle.)"""
    return [l for l in ours if not (l.startswith('NOTIFY [call-info]') and 'appearance-state=progressing' in l)], gold


@rule('O7', ['call-180'], ['D15b', 'D15c'], ['A1', 'A2'])
def o7_rejected_hold_shown(ours, gold):
    """A hold re-INVITE the callee rejects (488) leaves the session as it
    was (RFC 3264 §8: a rejected offer changes nothing): sca-server reads
    hold from the 2xx and NOTIFYs nothing. OpenSIPS NOTIFYs `held` on the
    re-INVITE itself (D15b) and `active` again on the next re-INVITE
    (D15c). OpenSIPS' two NOTIFYs are dropped when ours has none."""
    if not any(l.startswith('NOTIFY [call-info]') for l in ours):
        gold = [l for l in gold if not l.startswith('NOTIFY [call-info]')]
    return ours, gold


@rule('O8', CALL_FLOWS, ['D18', 'D34', 'D35'], ['A1', 'A2'])
def o8_idle_again_at_seize_end(ours, gold):
    """When the line-seize of an appearance whose call has ended is
    released, OpenSIPS NOTIFYs the call-info watchers the idle line again;
    sca-server NOTIFYs when the line changed only. OpenSIPS' idle NOTIFY
    that follows an idle one (D34, D35) or that ends the seize after the
    call's BYE (D18 of the call flows) is dropped."""
    out, last = [], None
    for l in gold:
        if l.startswith('NOTIFY [call-info]') and l.endswith('appearance-index=*;appearance-state=idle'):
            if l == last or (not any(o.startswith('NOTIFY [call-info]') for o in ours)):
                continue
            last = l
        out.append(l)
    return ours, out


@rule('O9', ['cancel', 'busy'], ['D34', 'D35'], ['BW'])
def o9_callee_line_not_driven(ours, gold):
    """A call from one shared line to another drives the caller's line only
    in sca-server (examples/sca-server/README.md, *Dialog events*); OpenSIPS
    (sca_engage("AB"), bob's line known since the recording's D24) shows
    the callee's line alerting on the 18x and idle at the end. OpenSIPS'
    NOTIFYs of bob's line are dropped when ours has none."""
    if not ours:
        gold = [l for l in gold if not l.startswith('NOTIFY [call-info] active;expires=N | <sip:bob@')]
    return ours, gold


@rule('O10', ['incoming'], ['D33'], ['A1', 'A2'])
def o10_incoming_line_from_to(ours, gold):
    """An incoming call whose INVITE names no called line
    (X-SCA-Called-Line) drives the line of its To AOR in sca-server
    (sip:alice@127.0.0.1, a shared line: alerting, active, idle); the
    recording's sca_engage("B") then takes the Request-URI with its port
    (sip:alice@127.0.0.1:5181), which no one watches. Our call-info
    NOTIFYs are dropped when OpenSIPS sent none."""
    if not any(l.startswith('NOTIFY [call-info]') for l in gold):
        ours = [l for l in ours if not l.startswith('NOTIFY [call-info]')]
    return ours, gold


@rule('E1', PUBLISH_FLOWS, ALL, ['PUB', 'PB2'])
def e1_etag_changes_on_modification(ours, gold):
    """A 2xx to a PUBLISH with SIP-If-Match carries a new entity-tag
    (RFC 3903 §4.1, §6 step 8: the ESC assigns a fresh one on every refresh
    and modification); OpenSIPS keeps the old one. OpenSIPS' `kept` reads
    as `new`."""
    return ours, [l.replace('SIP-ETag=kept', 'SIP-ETag=new') if l.startswith('RESP 2') else l for l in gold]


@rule('E2', ['publish'], ['P09'], ['PUB'])
def e2_refresh_without_call_info(ours, gold):
    """A refresh PUBLISH (SIP-If-Match, no Call-Info, no body) is answered
    200 with a new entity-tag by sca-server (RFC 3903 §4.2: a refresh
    carries no state); OpenSIPS answers 500 as for an initial PUBLISH
    without Call-Info. OpenSIPS' 500 reads as our 200."""
    if gold == ['RESP 500'] and ours == ['RESP 200 Expires=120 SIP-ETag=new']:
        gold = list(ours)
    return ours, gold


@rule('E3', ['publish-limits'], ['P19'], ALL)
def e3_call_info_without_uri(ours, gold):
    """`Call-Info: appearance-index=1;appearance-state=active` (no <uri>)
    is refused 400 by sca-server (RFC 3261 §20.9: Call-Info is
    `LAQUOT absoluteURI RAQUOT *(SEMI info-param)`); OpenSIPS accepts it and
    NOTIFYs it verbatim, then its removal. When ours is that 400, OpenSIPS'
    200s read as it and its NOTIFYs of the bad value are dropped."""
    if ours == ['RESP 400']:
        gold = ['RESP 400']
    elif not ours:
        gold = [l for l in gold if not l.startswith('NOTIFY [call-info] active;expires=N | appearance-index=')]
    return ours, gold


@rule('E4', ['publish'], ['P08'], ['W1', 'W2', 'W3'])
def e4_published_appearance_uri(ours, gold):
    """The opensips NOTIFY format (one Call-Info entry, params repeated per
    appearance, as OpenSIPS' own dialog-mode NOTIFYs) has no
    appearance-uri; OpenSIPS' PUBLISH-mode NOTIFY repeats the published
    `appearance-uri="<sip:alice@127.0.0.1>"`. It is dropped from OpenSIPS'."""
    return ours, [l.replace(';appearance-uri="<sip:alice@127.0.0.1>"', '') for l in gold]


@rule('E5', ['publish'], ['P13'], ['W1', 'W2', 'W3'])
def e5_second_call_info_line(ours, gold):
    """A PUBLISH with two Call-Info header lines: sca-server reads both
    (RFC 3261 §7.3.1: they are one comma-separated list), so appearances 1
    active and 2 seized are unchanged and no NOTIFY goes out; OpenSIPS
    keeps the first line only and NOTIFYs `1=active` (appearance 2 lost).
    OpenSIPS' NOTIFY is dropped when ours sent none."""
    if not any(l.startswith('NOTIFY') for l in ours):
        gold = [l for l in gold if not l.startswith('NOTIFY [call-info]')]
    return ours, gold


@rule('E6', PUBLISH_FLOWS, ALL, ['W1', 'W2', 'W3'])
def e6_notify_shows_the_line(ours, gold):
    """PUBLISH mode: OpenSIPS' NOTIFY is the PUBLISH's Call-Info verbatim
    (the latest publication only); sca-server's is the whole line in the
    opensips format (every busy appearance, then `*` idle). Where every
    appearance OpenSIPS names has the same state in ours (an idle one:
    absent from ours), OpenSIPS' Call-Info reads as ours."""
    out = []
    for n, l in enumerate(gold):
        o = ours[n] if n < len(ours) else ''
        if l.startswith('NOTIFY [call-info] active') and o.startswith('NOTIFY [call-info] active') and l != o:
            g_ent, o_ent = entries(l.split(' | ', 1)[1]), entries(o.split(' | ', 1)[1])
            if all(o_ent.get(i, 'idle') == st for i, st in g_ent.items() if i != '*'):
                l = o
        out.append(l)
    return ours, out


@rule('E7', ['subscription', 'seize-lifecycle'], ['P26', 'D43'], ['W3', 'A2'])
def e7_expiry_notify_without_state(ours, gold):
    """The NOTIFY of an expired call-info subscription
    (terminated;reason=timeout) carries the line's state in sca-server, as
    its unsubscribe NOTIFY does in both; OpenSIPS' expiry NOTIFY has no
    Call-Info. Ours loses the Call-Info of that NOTIFY."""
    return [re.sub(r'^(NOTIFY \[call-info\] terminated;reason=timeout) \| .*$', r'\1 | -', l)
            for l in ours], gold


@rule('E8', ['seize-lifecycle'], ['D40', 'D41', 'D41b', 'D41b2', 'D41c', 'D43', 'D44'], ['A1', 'A2'])
def e8_expired_seize_released(ours, gold):
    """A line-seize whose subscription expires (D40: Expires 2) frees its
    appearance in sca-server: the call-info watchers get the line idle
    again (a seize lasts as long as its line-seize subscription). OpenSIPS keeps
    appearance 3 `seized` for the rest of the recording (its list_lines
    too). In D40, our idle NOTIFY that follows the seized one is dropped
    when OpenSIPS sent none; afterwards, appearance 3 `seized` is dropped
    from OpenSIPS' Call-Info."""
    seized3 = 'appearance-index=3;appearance-state=seized;'
    if any(seized3 in l for l in gold) and any(seized3 in l for l in ours):  # D40: the seize itself
        idle = [l for l in gold if l.startswith('NOTIFY [call-info]') and l.endswith('*;appearance-state=idle')
                and seized3 not in l]
        if not idle:
            ours = [l for l in ours if not (l.startswith('NOTIFY [call-info]') and seized3 not in l)]
        return ours, gold
    return ours, [l.replace(seized3, '') for l in gold]


@rule('E9', ['index-2'], ['D36', 'D37'], ['A1', 'A2'])
def e9_call_on_the_named_appearance(ours, gold):
    """A2 seizes appearance 2 and INVITEs with `Call-Info:
    <sip:alice@127.0.0.1>;appearance-index=2`: sca-server shows the call on
    appearance 2, the one the INVITE names (and the seize was for); OpenSIPS
    shows it on appearance 1 (`active`) with 2 still `seized`, and shows 2
    `seized` again after the BYE until the seize ends. OpenSIPS' `1=active,
    2=seized` reads as `2=active`, and its `2=seized` NOTIFY after the call
    is dropped."""
    wrong = 'appearance-index=1;appearance-state=active;appearance-index=2;appearance-state=seized;'
    out = []
    for l in gold:
        if wrong in l:
            l = l.replace(wrong, 'appearance-index=2;appearance-state=active;')
        elif l.startswith('NOTIFY [call-info]') and l.endswith(
                '<sip:alice@127.0.0.1>;appearance-index=2;appearance-state=seized;appearance-index=*;appearance-state=idle') \
                and not any('appearance-state=seized' in o for o in ours):
            continue
        out.append(l)
    return ours, out


# ---- user agents ---------------------------------------------------------------

class Msg:
    def __init__(self, data):
        text = data.decode('utf-8', 'replace')
        head, _, self.body = text.partition('\r\n\r\n')
        lines = head.split('\r\n')
        self.start = lines[0]
        self.headers = []
        for ln in lines[1:]:
            if not ln:
                continue
            if ln[0] in ' \t' and self.headers:
                n, v = self.headers[-1]
                self.headers[-1] = (n, v + ' ' + ln.strip())
                continue
            n, _, v = ln.partition(':')
            n = n.strip()
            n = COMPACT.get(n.lower(), n) if len(n) == 1 else n
            self.headers.append((n, v.strip()))
        self.is_request = not self.start.startswith('SIP/2.0')
        if self.is_request:
            self.method, self.status = self.start.split(' ')[0], None
        else:
            self.status = int(self.start.split(' ')[1])
            self.method = self.get('CSeq').split()[-1]

    def get(self, name, default=''):
        return next((v for n, v in self.headers if n.lower() == name.lower()), default)

    def get_all(self, name):
        return [v for n, v in self.headers if n.lower() == name.lower()]


def tag_of(value):
    m = re.search(r';\s*tag=([^;>\s]+)', value)
    return m.group(1) if m else None


def uri_of(value):
    return value[value.index('<') + 1:value.index('>')] if '<' in value else value.split(';')[0].strip()


def sdp(direction, version):
    return ('v=0\r\no=- 1000 %d IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n'
            'm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=%s\r\n' % (version, direction))


class Net:
    """The user agents of one run, the server's address and the transcript."""

    def __init__(self, tr, server_port):
        self.tr, self.server = tr, ('127.0.0.1', server_port)
        self.uas = []

    def pump(self, seconds):
        end = time.time() + seconds
        while True:
            left = end - time.time()
            if left <= 0:
                return
            ready, _, _ = select.select([u.sock for u in self.uas], [], [], left)
            for s in ready:
                ua = next(u for u in self.uas if u.sock is s)
                data, addr = s.recvfrom(65535)
                ua.handle(data, addr)

    def wait_final(self, ua, call_id, cseq, method, timeout=5.0):
        end = time.time() + timeout
        got = []
        while time.time() < end:
            for m in list(ua.inbox):
                if m.get('Call-ID') == call_id and m.get('CSeq').split()[0] == str(cseq) and m.method == method:
                    ua.inbox.remove(m)
                    got.append(m)
                    if m.status >= 200:
                        return got
            self.pump(0.05)
        self.tr.log('  !! timeout waiting for the response to CSeq %s %s on %s' % (cseq, method, ua.name))
        return got

    def step(self, title, settle=0.8):
        self.pump(settle)
        self.tr.log('')
        self.tr.log('=== STEP: ' + title)


class UA:
    """A user agent on its own free port: answers NOTIFYs 200; as a callee
    (answerer) 100, the provisional responses, then 200 (or its mode)."""

    def __init__(self, net, name, user):
        self.net, self.name, self.user = net, name, user
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('127.0.0.1', 0))  # a free port, held for the whole run
        self.port = self.sock.getsockname()[1]
        self.contact = 'sip:%s@127.0.0.1:%d' % (user, self.port)
        self.inbox, self.seen = [], set()
        self.answerer = None
        net.uas.append(self)
        if name in GOLDEN_PORTS:
            net.tr.ports[self.port] = GOLDEN_PORTS[name]

    def send(self, data, addr=None):
        self.sock.sendto(data.encode(), addr or self.net.server)

    def reply(self, req, addr, code, reason, extra=(), body='', to_tag=None):
        lines = ['SIP/2.0 %d %s' % (code, reason)]
        lines += ['Via: ' + v for v in req.get_all('Via')]
        lines += ['Record-Route: ' + v for v in req.get_all('Record-Route')]
        lines.append('From: ' + req.get('From'))
        to = req.get('To')
        if tag_of(to) is None and code > 100:
            to += ';tag=' + (to_tag or uuid.uuid4().hex[:10])
        lines += ['To: ' + to, 'Call-ID: ' + req.get('Call-ID'), 'CSeq: ' + req.get('CSeq')]
        lines += list(extra)
        if body:
            lines.append('Content-Type: application/sdp')
        lines.append('Content-Length: %d' % len(body.encode()))
        self.send('\r\n'.join(lines) + '\r\n\r\n' + body, addr)

    def handle(self, data, addr):
        m = Msg(data)
        key = (m.start, m.get('Call-ID'), m.get('CSeq'), m.get('Via').split(',')[0])
        dup = key in self.seen
        self.seen.add(key)
        tr = self.net.tr
        if dup:
            tr.log('  %s %-3s <- (retransmission) %s' % (tr.stamp(), self.name, m.start))
        else:
            tr.log('  %s %-3s <- %s' % (tr.stamp(), self.name, m.start))
            if m.is_request:
                tr.log('        CSeq: %s' % m.get('CSeq'))
            for h in SHOW_HDRS:
                if h == 'Contact' and not ((m.is_request and m.method == 'NOTIFY') or
                                           (not m.is_request and m.method == 'SUBSCRIBE')):
                    continue
                for v in m.get_all(h):
                    tr.log('        %s: %s' % (h, v))
            if m.body.strip():
                for bl in m.body.rstrip('\r\n').split('\r\n'):
                    tr.log('        | ' + bl)
        if m.is_request:
            if m.method == 'NOTIFY':
                self.reply(m, addr, 200, 'OK')
            elif m.method == 'ACK':
                pass
            elif self.answerer is not None:
                self.answerer.on_request(m, addr, dup)
            else:
                self.reply(m, addr, 501, 'Not Implemented')
        elif not dup:
            self.inbox.append(m)


class Answerer:
    """A callee: mode 'answer' (100, provisional, 200), 'ring' (no final;
    CANCEL: 200 and 487), 'manual' (100 only; send() later) or a status."""

    def __init__(self, ua, provisional):
        self.ua, self.provisional = ua, provisional
        self.mode, self.reinvite_code = 'answer', None
        self.pending, self.sdp_ver, self.last = {}, 1, None
        ua.answerer = self

    def on_request(self, m, addr, dup):
        u = self.ua
        if m.method == 'INVITE':
            if dup:
                return
            to_tag = tag_of(m.get('To')) or uuid.uuid4().hex[:10]
            if tag_of(m.get('To')) is None:
                self.last = (m, to_tag)
                u.reply(m, addr, 100, 'Trying')
                if self.mode == 'manual':
                    self.pending[m.get('Call-ID')] = (m, addr, to_tag)
                    return
                for code in self.provisional:
                    u.reply(m, addr, code, {180: 'Ringing', 183: 'Session Progress'}[code],
                            ['Contact: <%s>' % u.contact], to_tag=to_tag)
                    u.net.pump(0.5)
                if isinstance(self.mode, int):
                    u.reply(m, addr, self.mode, 'Busy Here', to_tag=to_tag)
                    return
                if self.mode == 'ring':
                    self.pending[m.get('Call-ID')] = (m, addr, to_tag)
                    return
            elif self.reinvite_code:
                u.reply(m, addr, self.reinvite_code, 'Not Acceptable Here')
                return
            self.answer(m, addr, to_tag)
        elif m.method == 'CANCEL':
            u.reply(m, addr, 200, 'OK')
            p = self.pending.pop(m.get('Call-ID'), None)
            if p:
                u.reply(p[0], p[1], 487, 'Request Terminated', to_tag=p[2])
        elif m.method in ('BYE', 'UPDATE', 'INFO'):
            u.reply(m, addr, 200, 'OK')
        else:
            u.reply(m, addr, 405, 'Method Not Allowed')

    def answer(self, m, addr, to_tag):
        direction = 'recvonly' if 'a=sendonly' in m.body else 'inactive' if 'a=inactive' in m.body else 'sendrecv'
        self.sdp_ver += 1
        self.ua.reply(m, addr, 200, 'OK', ['Contact: <%s>' % self.ua.contact], sdp(direction, self.sdp_ver),
                      to_tag=to_tag)

    def send(self, code):
        for cid, (m, addr, to_tag) in list(self.pending.items()):
            self.ua.net.tr.log('  -- (%s sends %d)' % (self.ua.name, code))
            if code == 200:
                self.answer(m, addr, to_tag)
                self.pending.pop(cid)
            else:
                self.ua.reply(m, addr, code, {180: 'Ringing', 183: 'Session Progress'}[code],
                              ['Contact: <%s>' % self.ua.contact], to_tag=to_tag)


class Dialog:
    """The UAC side of a dialog (a subscription, a call) or a PUBLISH's Call-ID."""

    def __init__(self, ua, ruri, to_uri, from_uri=None):
        self.ua, self.ruri, self.to_uri = ua, ruri, to_uri
        self.from_uri = from_uri or 'sip:%s@127.0.0.1' % ua.user
        self.call_id = uuid.uuid4().hex + '@127.0.0.1'
        self.from_tag, self.to_tag = uuid.uuid4().hex[:10], None
        self.cseq, self.route, self.target, self.branch = 0, [], None, None

    def request(self, method, extra=(), body='', cseq=None, branch=None, to_tag=None, ctype='application/sdp'):
        if cseq is None:
            self.cseq += 1
            cseq = self.cseq
        ruri = self.target or self.ruri
        self.branch = branch = branch or 'z9hG4bK' + uuid.uuid4().hex[:12]
        to_tag = to_tag or self.to_tag
        lines = ['%s %s SIP/2.0' % (method, ruri),
                 'Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport' % (self.ua.port, branch), 'Max-Forwards: 70']
        lines += ['Route: ' + r for r in self.route]
        lines.append('From: <%s>;tag=%s' % (self.from_uri, self.from_tag))
        lines.append('To: <%s>%s' % (self.to_uri, ';tag=' + to_tag if to_tag else ''))
        lines += ['Call-ID: ' + self.call_id, 'CSeq: %d %s' % (cseq, method)]
        if method != 'PUBLISH':
            lines.append('Contact: <%s>' % self.ua.contact)
        lines += list(extra)
        if body:
            lines.append('Content-Type: ' + ctype)
        lines.append('Content-Length: %d' % len(body.encode()))
        shown = [l for l in lines[1:] if l.split(':')[0] in SENT_HDRS]
        if 'a=sendonly' in body:
            shown.append('SDP a=sendonly')
        tr = self.ua.net.tr
        tr.log('  %s %-3s -> %s  [%s]' % (tr.stamp(), self.ua.name, lines[0], '; '.join(shown)))
        self.ua.send('\r\n'.join(lines) + '\r\n\r\n' + body)
        return cseq

    def absorb(self, resp):
        if resp.status and 200 <= resp.status < 300 and resp.method != 'PUBLISH':
            if tag_of(resp.get('To')) and not self.to_tag:
                self.to_tag = tag_of(resp.get('To'))
                rr = [x.strip() for v in resp.get_all('Record-Route') for x in v.split(',')]
                self.route = list(reversed(rr))
            if resp.get('Contact'):
                self.target = uri_of(resp.get('Contact'))

    def transact(self, method, extra=(), body='', ctype='application/sdp'):
        cseq = self.request(method, extra, body, ctype=ctype)
        got = self.ua.net.wait_final(self.ua, self.call_id, cseq, method)
        if got:
            self.absorb(got[-1])
        return got[-1] if got else None

    def invite(self, extra=(), body=None, timeout=10.0):
        cseq = self.request('INVITE', extra, body if body is not None else sdp('sendrecv', self.cseq + 1))
        branch = self.branch
        got = self.ua.net.wait_final(self.ua, self.call_id, cseq, 'INVITE', timeout)
        if not got:
            return None
        fin = got[-1]
        if fin.status < 300:
            self.absorb(fin)
            self.request('ACK', cseq=cseq)
        else:
            self.request('ACK', cseq=cseq, branch=branch, to_tag=tag_of(fin.get('To')))
        return fin


def uas_dialog(ua, inv, local_tag):
    """The dialog of a callee that answered `inv`, for its own re-INVITE / BYE."""
    d = Dialog(ua, uri_of(inv.get('Contact')), uri_of(inv.get('From')), from_uri=uri_of(inv.get('To')))
    d.call_id, d.from_tag, d.to_tag = inv.get('Call-ID'), local_tag, tag_of(inv.get('From'))
    d.route = [x.strip() for v in inv.get_all('Record-Route') for x in v.split(',')]
    d.target, d.cseq = uri_of(inv.get('Contact')), 100
    return d


# ---- the steps (the recording's flows, as the golden titles describe them) ---

USERS = {'publish': [('W1', 'watcher1'), ('W2', 'watcher2'), ('W3', 'watcher3'), ('PUB', 'publisher'),
                     ('PB2', 'publisher2'), ('A', 'alice'), ('B', 'bob')],
         'dialog': [('A1', 'alice'), ('A2', 'alice'), ('B', 'bob'), ('BW', 'bob'), ('C', 'carol')]}
# the phones sca-server routes calls to (--route USER=their port)
ROUTED = {'publish': ['B'], 'dialog': ['A1', 'B', 'C']}


def publish_steps(net, u, srv_port):
    bob = 'sip:bob@127.0.0.1'
    w1, w2, w3, pub, pub2, al, b = (u[n] for n in ('W1', 'W2', 'W3', 'PUB', 'PB2', 'A', 'B'))
    bans = Answerer(b, (180,))
    ci = 'Call-Info: <sip:bob@127.0.0.1>;appearance-index=%d;appearance-state=%s'
    st = dict(etag='', etag2='', e3='')
    call = Dialog(al, 'sip:bob@127.0.0.1:%d' % srv_port, bob, from_uri='sip:alice@127.0.0.1')
    s1, s2, s3 = Dialog(w1, bob, bob), Dialog(w2, bob, bob), Dialog(w3, bob, bob)
    pd, pd2, pd3 = Dialog(pub, bob, bob), Dialog(pub2, bob, bob), Dialog(pub, bob, bob)

    def etag_of(r, old):
        return r.get('SIP-ETag', old) if r is not None and r.status < 300 else old

    def p05():
        bans.mode = 'manual'
        st['inv'] = call.request('INVITE', ['X-SCA-Parties: none'], sdp('sendrecv', 1))
        net.pump(0.6)

    def p06():
        r = pd.transact('PUBLISH', ['Event: call-info', 'Expires: 120', ci % (1, 'alerting')])
        st['etag'] = etag_of(r, '')

    def p07():
        bans.send(180)
        net.pump(0.5)
        bans.send(200)
        got = net.wait_final(al, call.call_id, st['inv'], 'INVITE')
        if got and got[-1].status == 200:
            call.absorb(got[-1])
            call.request('ACK', cseq=st['inv'])
        bans.mode = 'answer'

    def pub_if(d, key, expires, *cinfo, **kw):
        r = d.transact('PUBLISH', ['Event: call-info', 'Expires: %s' % expires, 'SIP-If-Match: %s' % st[key]]
                       + list(cinfo), **kw)
        st[key] = etag_of(r, st[key])
        return r

    def p11():
        call.invite((), sdp('sendonly', 2))
        net.pump(0.3)
        pub_if(pd, 'etag', 120, ci % (1, 'held'))

    def p12():
        call.invite((), sdp('sendrecv', 3))
        net.pump(0.3)
        pub_if(pd, 'etag', 120, ci % (1, 'active') + ', <sip:bob@127.0.0.1>;appearance-index=2;appearance-state=seized')

    def p14():
        r = pd2.transact('PUBLISH', ['Event: call-info', 'Expires: 120', ci % (3, 'alerting')])
        st['etag2'] = etag_of(r, '')

    def p16():
        call.transact('BYE')
        net.pump(0.3)
        pub_if(pd, 'etag', 120, ci % (1, 'idle'))

    def p19():
        pm = Dialog(pub, bob, bob)
        r = pm.transact('PUBLISH', ['Event: call-info', 'Expires: 120', 'Call-Info: appearance-index=1;appearance-state=active'])
        if r is not None and r.status == 200:
            pm.transact('PUBLISH', ['Event: call-info', 'Expires: 0', 'SIP-If-Match: %s' % r.get('SIP-ETag'),
                                    'Call-Info: appearance-index=1;appearance-state=idle'])

    def p20():
        r = pd3.transact('PUBLISH', ['Event: call-info', ci % (1, 'seized')])
        st['e3'] = etag_of(r, '')

    def p26():
        s3.transact('SUBSCRIBE', ['Event: call-info', 'Expires: 3'])
        net.pump(7.0)

    return {
        'P01': ('W1 SUBSCRIBE call-info sip:bob@127.0.0.1 Expires 3600 (nothing published yet)',
                lambda: s1.transact('SUBSCRIBE', ['Event: call-info', 'Expires: 3600',
                                                  'Accept: application/x-broadworks-call-info'])),
        'P02': ('W2 SUBSCRIBE call-info WITHOUT Expires header', lambda: s2.transact('SUBSCRIBE', ['Event: call-info'])),
        'P03': ('W3 SUBSCRIBE call-info Expires 7200 (above max_expires_subscribe=3600)',
                lambda: s3.transact('SUBSCRIBE', ['Event: call-info', 'Expires: 7200'])),
        'P04': ('ERROR: W3 SUBSCRIBE with an unsupported event (Event: dialog)',
                lambda: Dialog(w3, bob, bob).transact('SUBSCRIBE', ['Event: dialog', 'Expires: 600'])),
        'P05': ('README flow: A INVITEs bob via the proxy; B sends only 100 (manual mode)', p05),
        'P06': ('PUB PUBLISH call-info alerting (initial, Expires 120)', p06),
        'P07': ('B sends 180 then 200; A ACKs', p07),
        'P08': ('PUB PUBLISH call-info active (SIP-If-Match, with appearance-uri)',
                lambda: pub_if(pd, 'etag', 120, ci % (1, 'active') + ';appearance-uri="<sip:alice@127.0.0.1>"')),
        'P09': ('PUB refresh PUBLISH (SIP-If-Match, NO Call-Info header, no body)', lambda: pub_if(pd, 'etag', 120)),
        'P10': ('ERROR: PUBLISH with an unknown SIP-If-Match',
                lambda: Dialog(pub, bob, bob).transact('PUBLISH', ['Event: call-info', 'Expires: 120',
                                                                   'SIP-If-Match: no-such-etag', ci % (1, 'active')])),
        'P11': ('hold: A re-INVITE a=sendonly through the proxy; PUB PUBLISH held (SIP-If-Match)', p11),
        'P12': ('resume + a 2nd appearance in ONE comma-separated Call-Info header (SIP-If-Match)', p12),
        'P13': ('same content as TWO Call-Info header lines (SIP-If-Match)',
                lambda: pub_if(pd, 'etag', 120, ci % (1, 'active'), ci % (2, 'seized'))),
        'P14': ('a SECOND publisher PB2 publishes index 3 for the same presentity (own ETag)', p14),
        'P15': ('PB2 removes its publication (Expires 0, SIP-If-Match, no Call-Info)', lambda: pub_if(pd2, 'etag2', 0)),
        'P15b': ('PB2 removes its publication (Expires 0, SIP-If-Match, WITH Call-Info idle)',
                 lambda: pub_if(pd2, 'etag2', 0, ci % (3, 'idle'))),
        'P16': ('A BYE; PUB PUBLISH appearance-state=idle for index 1 (SIP-If-Match)', p16),
        'P17': ('PUB removes the publication (Expires 0, SIP-If-Match, no Call-Info)', lambda: pub_if(pd, 'etag', 0)),
        'P17b': ('PUB removes the publication (Expires 0, SIP-If-Match, WITH Call-Info)',
                 lambda: pub_if(pd, 'etag', 0, ci % (1, 'idle'))),
        'P17c': ('W1 in-dialog re-SUBSCRIBE (what is the state now that nothing is published?)',
                 lambda: s1.transact('SUBSCRIBE', ['Event: call-info', 'Expires: 3600'])),
        'P18': ('ERROR: initial PUBLISH WITHOUT Call-Info header',
                lambda: Dialog(pub, bob, bob).transact('PUBLISH', ['Event: call-info', 'Expires: 120'])),
        'P19': ('initial PUBLISH with a malformed Call-Info (no <uri>), then remove it', p19),
        'P20': ('initial PUBLISH WITHOUT Expires header (default expires)', p20),
        'P21': ('PUBLISH Expires 7200 (above max_expires_publish=3600), SIP-If-Match',
                lambda: pub_if(pd3, 'e3', 7200, ci % (1, 'progressing'))),
        'P22': ('PUBLISH with a body (application/x-broadworks-call-info? here text/plain) and Call-Info',
                lambda: pub_if(pd3, 'e3', 120, ci % (1, 'active'), body='hello\r\n', ctype='text/plain')),
        'P24': ('W2 in-dialog re-SUBSCRIBE Expires 1800 (refresh)',
                lambda: s2.transact('SUBSCRIBE', ['Event: call-info', 'Expires: 1800'])),
        'P25': ('W2 in-dialog un-SUBSCRIBE Expires 0', lambda: s2.transact('SUBSCRIBE', ['Event: call-info', 'Expires: 0'])),
        'P26': ('W3 in-dialog re-SUBSCRIBE Expires 3 and let the subscription EXPIRE (wait ~7 s)', p26),
    }


def dialog_steps(net, u, srv_port, prov):
    alice, bob = 'sip:alice@127.0.0.1', 'sip:bob@127.0.0.1'
    a1, a2, b, bw, c = (u[n] for n in ('A1', 'A2', 'B', 'BW', 'C'))
    bans, a1ans = Answerer(b, prov), Answerer(a1, prov)
    Answerer(c, prov)
    ci = 'Call-Info: <sip:alice@127.0.0.1>;appearance-index=%s'
    b_ruri = 'sip:bob@127.0.0.1:%d' % srv_port
    to_bob = 'X-SCA-Called-Line: ' + bob
    st = {}
    sub_a1, sub_a2, sub_bw = Dialog(a1, alice, alice, alice), Dialog(a2, alice, alice, alice), Dialog(bw, bob, bob, bob)

    def seize(ua, idx, expires=30, line=alice):
        d = Dialog(ua, line, line, from_uri=line)
        d.transact('SUBSCRIBE', ['Event: line-seize', 'Expires: %d' % expires,
                                 'Call-Info: <%s>;appearance-index=%s' % (line, idx)])
        return d

    def unseize(d, idx, line=alice):
        d.transact('SUBSCRIBE', ['Event: line-seize', 'Expires: 0', 'Call-Info: <%s>;appearance-index=%s' % (line, idx)])

    def new_call(ua=None):
        return Dialog(ua or a1, b_ruri, bob, from_uri=alice)

    def d08():
        st['sz_a1'] = seize(a1, 1)

    def d11():
        st['call'] = new_call()
        st['call'].invite([ci % 1, to_bob], sdp('sendrecv', 1))

    def reinvite(direction, version):
        return lambda: st['call'].invite((), sdp(direction, version))

    def callee_reinvite(direction, version):
        def run():
            if bans.last:
                st.setdefault('bd', uas_dialog(b, *bans.last)).invite((), sdp(direction, version))
        return run

    def d15b():
        bans.reinvite_code = 488
        st['call'].invite((), sdp('sendonly', 4))
        bans.reinvite_code = None

    def d34():
        bans.mode = 'ring'
        sz = seize(a1, 1)
        net.pump(0.3)
        call = new_call()
        cseq = call.request('INVITE', [ci % 1, to_bob], sdp('sendrecv', 1))
        branch = call.branch
        net.pump(1.0 + 0.5 * len(prov))
        a1.inbox[:] = [m for m in a1.inbox if not (m.get('Call-ID') == call.call_id and m.status < 200)]
        net.tr.log('  -- (now CANCEL)')
        call.request('CANCEL', cseq=cseq, branch=branch)
        net.wait_final(a1, call.call_id, cseq, 'CANCEL')
        got = net.wait_final(a1, call.call_id, cseq, 'INVITE')
        if got and got[-1].status >= 300:
            call.request('ACK', cseq=cseq, branch=branch, to_tag=tag_of(got[-1].get('To')))
        bans.mode = 'answer'
        unseize(sz, 1)

    def d35():
        bans.mode = 486
        sz = seize(a1, 1)
        net.pump(0.3)
        new_call().invite([ci % 1, to_bob])
        bans.mode = 'answer'
        unseize(sz, 1)

    def d38():
        st['sz_a1'] = seize(a1, 1)
        st['sz_a1'].transact('SUBSCRIBE', ['Event: line-seize', 'Expires: 20', ci % 1])

    def d39():
        call = new_call()
        call.invite([ci % 1, 'X-SCA-Parties: A'], sdp('sendrecv', 1))
        net.pump(0.5)
        net.tr.log('  -- (A1 line-seize Expires 0 while the call is up)')
        unseize(st['sz_a1'], 1)
        net.pump(0.5)
        net.tr.log('  -- (A1 BYE)')
        call.transact('BYE')

    def d40():
        seize(a2, 3, expires=2)
        net.pump(6.0)

    def seize_then_unseize(headers, unseize_headers=None):
        def run():
            d = Dialog(a1, alice, alice, from_uri=alice)
            d.transact('SUBSCRIBE', ['Event: line-seize'] + headers + [ci % 1])
            for h in (unseize_headers or [[ci % 1]]):
                d.transact('SUBSCRIBE', ['Event: line-seize', 'Expires: 0'] + h)
        return run

    a_ruri = 'sip:alice@127.0.0.1:%d' % srv_port

    def d29():
        st['in'] = Dialog(c, a_ruri, alice, from_uri='sip:carol@127.0.0.1')
        st['in'].invite(['X-SCA-Parties: B', 'X-SCA-Called-Line: ' + alice], sdp('sendrecv', 1))

    def callee_a1_reinvite(direction, version):
        def run():
            if a1ans.last:
                st.setdefault('a1d', uas_dialog(a1, *a1ans.last)).invite((), sdp(direction, version))
        return run

    def d33():
        d = Dialog(c, a_ruri, alice, from_uri='sip:carol@127.0.0.1')
        d.invite(['X-SCA-Parties: B'], sdp('sendrecv', 1))
        net.pump(0.5)
        d.transact('BYE')

    def d36():
        st['sz_a2'] = seize(a2, 2)
        net.pump(0.3)
        st['call2'] = new_call(a2)
        st['call2'].invite([ci % 2, 'X-SCA-Parties: A'], sdp('sendrecv', 1))

    def d37():
        st['call2'].transact('BYE', [ci % 2])
        unseize(st['sz_a2'], 2)

    def d43():
        sub_a2.transact('SUBSCRIBE', ['Event: call-info', 'Expires: 3'])
        net.pump(7.0)

    def d44():
        sub_a1.transact('SUBSCRIBE', ['Event: call-info', 'Expires: 0'])
        sub_bw.transact('SUBSCRIBE', ['Event: call-info', 'Expires: 0'])

    sub = lambda d: (lambda: d.transact('SUBSCRIBE', ['Event: call-info', 'Expires: 3600']))  # noqa: E731
    bad_seize = lambda *h: (lambda: Dialog(a1, alice, alice, alice).transact(  # noqa: E731
        'SUBSCRIBE', ['Event: line-seize', 'Expires: 30'] + list(h)))
    return {
        'D01': ('A1 SUBSCRIBE call-info sip:alice@127.0.0.1 Expires 3600', sub(sub_a1)),
        'D02': ('A2 SUBSCRIBE call-info sip:alice@127.0.0.1 Expires 3600', sub(sub_a2)),
        'D03': ('BW SUBSCRIBE call-info sip:bob@127.0.0.1 Expires 3600', sub(sub_bw)),
        'D04': ('ERROR: A1 line-seize WITHOUT Call-Info', bad_seize()),
        'D05': ('ERROR: A1 line-seize, Call-Info WITHOUT appearance-index', bad_seize('Call-Info: <%s>' % alice)),
        'D06': ('ERROR: A1 line-seize appearance-index=*', lambda: seize(a1, '*')),
        'D07': ('ERROR: A1 line-seize with a malformed Call-Info (no <uri>)', bad_seize('Call-Info: appearance-index=1')),
        'D08': ('A1 line-seize appearance-index=1 Expires 30 -> seized', d08),
        'D09': ('CONFLICT: A2 line-seize the SAME appearance-index=1', lambda: seize(a2, 1)),
        'D10': ('A2 line-seize a DIFFERENT index (2) while index 1 is seized', lambda: seize(a2, 2)),
        'D11': ('A1 INVITE bob (Call-Info idx 1), B 100/<prov>/200; A1 ACKs', d11),
        'D12': ('HOLD: A1 re-INVITE a=sendonly', reinvite('sendonly', 2)),
        'D13': ('RESUME: A1 re-INVITE a=sendrecv', reinvite('sendrecv', 3)),
        'D14': ('HOLD by the callee: B re-INVITE a=sendonly', callee_reinvite('sendonly', 10)),
        'D15': ('RESUME by the callee: B re-INVITE a=sendrecv', callee_reinvite('sendrecv', 11)),
        'D15b': ('HOLD re-INVITE that the callee REJECTS (B answers 488)', d15b),
        'D15c': ('RESUME re-INVITE (a=sendrecv), answered 200', reinvite('sendrecv', 5)),
        'D16': ('A1 BYE -> idle', lambda: st['call'].transact('BYE')),
        'D18': ('A1 un-SUBSCRIBEs its line-seize (Expires 0)', lambda: unseize(st['sz_a1'], 1)),
        'D29': ('INCOMING call to the shared line: C INVITEs A1\'s contact, sca_engage("B"), called line '
                'sip:alice@127.0.0.1; A1 answers <prov>/200', d29),
        'D30': ('A1 (callee of the incoming call) HOLD: re-INVITE a=sendonly', callee_a1_reinvite('sendonly', 10)),
        'D31': ('A1 RESUME', callee_a1_reinvite('sendrecv', 11)),
        'D32': ('C (caller, not SCA) hangs up', lambda: st['in'].transact('BYE')),
        'D33': ('INCOMING call with sca_engage("B") and NO called-line override (line = R-URI with port)', d33),
        'D34': ('CANCEL: A1 seizes idx 1, INVITEs bob, B rings, A1 CANCELs', d34),
        'D36': ('INDEX 2: A2 seizes idx 2 and INVITEs bob with Call-Info idx 2 (A-side only: X-SCA-Parties A)', d36),
        'D37': ('A2 BYE with Call-Info idx 2', d37),
        'D38': ('line-seize in-dialog refresh: A1 seizes idx 1 (Expires 30) then re-SUBSCRIBEs Expires 20', d38),
        'D39': ('un-SUBSCRIBE line-seize while the seized index is in a call: INVITE, answer, then Expires 0', d39),
        'D40': ('line-seize EXPIRY: A2 seizes idx 3 with Expires 2, wait ~6 s', d40),
        'D41': ('after expiry: A1 seizes idx 1 (old seize of idx 3 expired)', seize_then_unseize(['Expires: 30'])),
        'D41b': ('A1 line-seize idx 1 WITHOUT Expires header, then Expires 0', seize_then_unseize([])),
        'D41b2': ('A1 line-seize idx 1, then un-SUBSCRIBE (Expires 0) WITHOUT Call-Info, then with Call-Info',
                  seize_then_unseize(['Expires: 30'], [[], [ci % 1]])),
        'D41c': ('A1 line-seize idx 1 with Expires 7200 (above max_expires_subscribe=3600), then Expires 0',
                 seize_then_unseize(['Expires: 7200'])),
        'D43': ('A2 in-dialog call-info re-SUBSCRIBE Expires 3, let it EXPIRE (wait ~7 s)', d43),
        'D44': ('A1 and BW un-SUBSCRIBE call-info (Expires 0)', d44),
        'D35': ('REJECT: A1 seizes idx 1, INVITEs bob, B answers 486 Busy Here', d35),
    }


# ---- one run -------------------------------------------------------------------

def start_server(args, work, mode, route_ports):
    """sca-server on a free port; (process, port) or (None, None)."""
    for attempt in range(3):
        port = sip_agent.free_udp_port()
        cmd = [args.server, '--port', str(port), '--dialect', 'opensips']
        if mode == 'dialog':
            cmd += ['--line', 'alice', '--line', 'bob']
        for user, p in route_ports.items():
            cmd += ['--route', '%s=127.0.0.1:%d' % (user, p)]
        logpath = os.path.join(work, 'server.log')
        with open(logpath, 'w') as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        end = time.monotonic() + 10
        while time.monotonic() < end and proc.poll() is None:
            if 'listening on' in open(logpath, errors='replace').read():
                return proc, port
            time.sleep(0.05)
        stop(proc)
        if not re.search(r'bind|address already in use', open(logpath, errors='replace').read(), re.I):
            break
    return None, None


def stop(proc):
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run(flow, args, work):
    """Plays the flow against sca-server; returns our raw transcript (or None)."""
    f = FLOWS[flow]
    tr = Transcript()
    net = Net(tr, 0)
    # the user agents first (the routed ones' ports go into --route), then the server
    uas = {name: UA(net, name, user) for name, user in USERS[f['mode']]}
    routes = {uas[n].user: uas[n].port for n in ROUTED[f['mode']]}
    try:
        proc, port = start_server(args, work, f['mode'], routes)
        if proc is None:
            print('interop-opensips %s: sca-server did not start:' % flow, file=sys.stderr)
            print(open(os.path.join(work, 'server.log'), errors='replace').read()[-3000:], file=sys.stderr)
            return None
        net.server = ('127.0.0.1', port)
        tr.ports[port] = SERVER_GOLDEN_PORT
        steps = (publish_steps(net, uas, port) if f['mode'] == 'publish'
                 else dialog_steps(net, uas, port, f.get('provisional', (180,))))
        try:
            tr.log('# sca-server --dialect opensips transcript (%s mode, flow %s)' % (f['mode'], flow))
            for n, sid in enumerate(f['steps']):
                title, action = steps[sid]
                net.step('%s %s' % (sid, title), 0 if n == 0 else 0.8)
                action()
            net.step('END', 1.0)
        finally:
            stop(proc)
    finally:
        for u in net.uas:
            u.sock.close()
    return tr.text()


def side_by_side(ours, gold, ids, marks):
    lines = []
    w = 70
    for s in ids:
        lines.append('=== %s' % s)
        for ua in sorted(set(ours[s]) | set(gold[s])):
            a, b = ours[s].get(ua, []), gold[s].get(ua, [])
            if not a and not b:
                continue
            lines.append('  [%s]' % ua)
            for n in range(max(len(a), len(b))):
                x = a[n] if n < len(a) else ''
                y = b[n] if n < len(b) else ''
                lines.append('%s   %-*s | %s' % (' ' if x == y else marks, w, x, y))
    return lines


def compare(flow, our_norm, gold_norm):
    ids = FLOWS[flow]['steps']
    ours_p, our_order = parse_norm(our_norm)
    gold_p, gold_order = parse_norm(gold_norm)
    missing = [s for s in ids if s not in gold_p]
    if missing:
        print('interop-opensips %s: steps %s are not in the golden transcript' % (flow, missing), file=sys.stderr)
        return False
    ours, gold = observations(ours_p, our_order, ids), observations(gold_p, gold_order, ids)
    print('Flow %r, as received (left sca-server --dialect opensips, right OpenSIPS; * differs):' % flow)
    for l in side_by_side(ours, gold, ids, '*'):
        print(l)
    used, unused = apply_rules(flow, ours, gold)
    print()
    print('after the rules %s:' % ', '.join(used))
    diff = side_by_side(ours, gold, ids, '*')
    for l in diff:
        print(l)
    ok = True
    if any(l.startswith('*') for l in diff):
        print('interop-opensips %s: FAIL: differences no rule names (lines marked *)' % flow, file=sys.stderr)
        ok = False
    if unused:
        print('interop-opensips %s: FAIL: rules listed for this flow that matched nothing: %s'
              % (flow, ', '.join(unused)), file=sys.stderr)
        ok = False
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--server', help='the sca-server executable')
    ap.add_argument('--flow', default='all', choices=['all'] + list(FLOWS))
    ap.add_argument('--golden', default=GOLDEN, help='directory of the golden transcripts')
    ap.add_argument('--keep', action='store_true', help='keep the work directory')
    ap.add_argument('--normalise', metavar='TXT', help='only print the normalised form of a recorded transcript')
    args = ap.parse_args()
    if args.normalise:
        sys.stdout.write(normalise(open(args.normalise).read()))
        return 0
    if not args.server:
        print('interop-opensips: --server is required', file=sys.stderr)
        return 2
    if not os.access(args.server, os.X_OK):
        print('interop-opensips: no sca-server executable at %s: skipped' % args.server, file=sys.stderr)
        return 77
    flows = list(FLOWS) if args.flow == 'all' else [args.flow]
    ok = True
    for flow in flows:
        work = tempfile.mkdtemp(prefix='callinfo-opensips-%s.' % flow)
        try:
            raw = run(flow, args, work)
            if raw is None:
                ok = False
                continue
            norm = normalise(raw)
            with open(os.path.join(work, flow + '.txt'), 'w') as fh:
                fh.write(raw)
            with open(os.path.join(work, flow + '.norm.txt'), 'w') as fh:
                fh.write(norm)
            gold = open(os.path.join(args.golden, FLOWS[flow]['golden'])).read()
            good = compare(flow, norm, gold)
            if good:
                print('interop-opensips %s: same as OpenSIPS after the named rules' % flow)
            else:
                print('--- server log (last lines)', file=sys.stderr)
                print(open(os.path.join(work, 'server.log'), errors='replace').read()[-4000:], file=sys.stderr)
            ok = good and ok
        finally:
            if args.keep:
                print('interop-opensips: transcripts and logs kept in %s' % work, file=sys.stderr)
            else:
                shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
