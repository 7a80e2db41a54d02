"""IPv6 entries of httpq.trusted_proxies match like IPv4 ones: single addresses in any spelling
and CIDR blocks, when X-Forwarded-For is walked from the right past trusted proxies."""
import time

import requests


def logged_ip(srv, ip, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline and ("ip=" + ip) not in srv.read_log():
        time.sleep(0.1)
    return ("ip=" + ip) in srv.read_log()


def test_ipv6_proxies_in_the_chain_are_skipped(make_server):
    s = make_server()
    with open(s.config) as f:
        cfg = f.read()
    with open(s.config, "w") as f:
        f.write(cfg.replace("  body_max: 65536\n", "  body_max: 65536\n  trusted_proxies: "
                            "[127.0.0.0/8, \"2001:db8::/32\", \"fd00::1\"]\n"))
    s.start()
    # 2001:db8:0:1::5 is inside the /32 and fd00:0::1 is fd00::1 spelled otherwise
    requests.get(s.url("/status"),
                 headers={"X-Forwarded-For": "198.51.100.7, 2001:db8:0:1::5, fd00:0::1"})
    assert logged_ip(s, "198.51.100.7")
    # an address outside the block is the client
    requests.get(s.url("/status"), headers={"X-Forwarded-For": "198.51.100.8, 2001:db9::5"})
    assert logged_ip(s, "2001:db9::5")
    assert "ip=198.51.100.8" not in s.read_log()
