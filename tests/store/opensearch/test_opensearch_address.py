"""Choosing the engine by location, URLs and credentials: no cluster needed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from searchlib.cli import main
from searchlib.errors import OptionError
from searchlib.store.opensearch.address import credentials, is_url, parse_address


@pytest.mark.parametrize("location, expected", [
    ("http://127.0.0.1:9200/news", True),
    ("HTTPS://cluster.example:443/archive", True),
    ("./index", False),
    ("index", False),
    (Path("http:/x/y"), False),
])
def test_a_url_is_an_opensearch_location(location, expected) -> None:
    assert is_url(location) is expected


def test_parse_address_splits_nodes_prefix_and_alias() -> None:
    address = parse_address("https://a:9200,b:9201/proxy/news", ca_certs="/etc/ca.pem")
    assert address.hosts == ("https://a:9200", "https://b:9201")
    assert (address.url_prefix, address.alias, address.ca_certs) == ("proxy", "news",
                                                                      "/etc/ca.pem")


@pytest.mark.parametrize("url, says", [
    ("http://127.0.0.1:9200/", "no index name"),
    ("http://127.0.0.1:9200/News", "not a valid OpenSearch index name"),
    ("http://127.0.0.1:9200/_news", "not a valid OpenSearch index name"),
    ("http://127.0.0.1:port/news", "invalid port"),
    ("http://user:secret@127.0.0.1:9200/news", "never in the URL"),
])
def test_bad_urls_are_refused_naming_them(url: str, says: str) -> None:
    with pytest.raises(OptionError, match=says) as caught:
        parse_address(url)
    assert "secret" not in str(caught.value)


def test_credentials_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("USER", "PASSWORD", "API_KEY"):
        monkeypatch.delenv(f"SEARCHLIB_OPENSEARCH_{name}", raising=False)
    assert credentials() == {}
    monkeypatch.setenv("SEARCHLIB_OPENSEARCH_USER", "reader")
    with pytest.raises(OptionError, match="set both"):
        credentials()
    monkeypatch.setenv("SEARCHLIB_OPENSEARCH_PASSWORD", "pw")
    assert credentials() == {"http_auth": ("reader", "pw")}
    monkeypatch.setenv("SEARCHLIB_OPENSEARCH_API_KEY", "k")
    with pytest.raises(OptionError, match="not both"):
        credentials()
    monkeypatch.delenv("SEARCHLIB_OPENSEARCH_USER")
    monkeypatch.delenv("SEARCHLIB_OPENSEARCH_PASSWORD")
    assert credentials() == {"headers": {"Authorization": "ApiKey k"}}


def test_cli_refuses_a_bad_url_as_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["stats", "--index", "http://127.0.0.1:9200/"])
    assert result.exit_code == 2
    assert "no index name" in result.stderr


def test_a_cluster_that_is_down_is_one_line_naming_the_url(unused_port: int) -> None:
    url = f"http://127.0.0.1:{unused_port}/news"
    for args in (["stats"], ["show", "x"], ["index", "samples/uk"], ["check"], ["delete", "x"]):
        result = CliRunner().invoke(main, [*args, "--index", url])
        assert result.exit_code == 1, (args, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"Error: OpenSearch {url}: cannot "
                                                       "connect"), (args, result.stderr)
        assert "Traceback" not in result.output


def test_a_cluster_that_never_answers_times_out_in_one_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/news"
        monkeypatch.setenv("SEARCHLIB_OPENSEARCH_TIMEOUT", "0.5")
        result = CliRunner().invoke(main, ["stats", "--index", url])
    assert result.exit_code == 1
    assert result.stderr == (f"Error: OpenSearch {url}: no answer within 0.5 s; the cluster "
                             "may be overloaded; retry, or raise SEARCHLIB_OPENSEARCH_TIMEOUT "
                             "(seconds)\n")


def test_the_index_url_comes_from_the_environment_too(unused_port: int) -> None:
    url = f"http://127.0.0.1:{unused_port}/news"
    result = CliRunner().invoke(main, ["stats"], env={"SEARCHLIB_INDEX": url})
    assert result.exit_code == 1 and url in result.stderr


def test_a_folder_never_loads_the_opensearch_client(sample_index_dir: Path) -> None:
    code = ("import sys; from searchlib.cli import main\n"
            f"try: main(['search', 'Канада', '--index', {str(sample_index_dir)!r}])\n"
            "except SystemExit: pass\n"
            "print('opensearchpy' in sys.modules, file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stderr.strip().splitlines()[-1] == "False"
    assert "Канад" in out.stdout


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
