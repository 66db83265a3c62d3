"""The `git` command line, run safely: argument lists, `--` before refs and paths, a clean environment.

Not GitPython: it keeps long-lived `git cat-file` processes around in workers and has had
repeated command-injection advisories. Here every call is one short `subprocess.run` with:

- an argument list (no shell) and `--` before every URL, ref or path a person typed;
- `GIT_ALLOW_PROTOCOL` = the protocols the repository's URL may use (ssh, https, file), so a
  submodule or redirect cannot reach `ext::` or plain `git://`;
- `GIT_TERMINAL_PROMPT=0` and no askpass, so a missing credential fails instead of hanging;
- no system or global git config (an operator's `~/.gitconfig` must not change what syncs);
- ssh with `BatchMode`, `StrictHostKeyChecking=yes` and the repository's pinned known_hosts only;
- the https token in an `http.extraHeader` passed through `GIT_CONFIG_*` variables, never argv
  (argv is visible to every local user in `ps`);
- https verifies the server's certificate, against the repository's own CA bundle when it has
  one (`GIT_SSL_CAINFO`, per call), never with verification off;
- key and known_hosts files written 0600 into a private temp dir that is always removed;
- a timeout on every call, and output size limits.
"""

from __future__ import annotations

import base64
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from . import conf


class GitError(Exception):
    """A git call failed; the message is safe to show (credentials are never in it)."""


# -- input validation: the last line is GIT_ALLOW_PROTOCOL, this is the first --------------------------
_SCP_LIKE = re.compile(r"^(?P<user>[A-Za-z0-9._-]+)@(?P<host>[A-Za-z0-9.-]+):(?P<path>[A-Za-z0-9._~/-][^\s]*)$")
_REF = re.compile(r"^[A-Za-z0-9._/+-]+$")
_SHA = re.compile(r"^[0-9a-f]{7,40}$")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def protocol_of(url: str) -> str:
    """'ssh', 'https', 'file' (or 'http' where allowed); raises ValueError for anything else."""
    url = (url or "").strip()
    if not url or _CONTROL.search(url) or url.startswith("-"):
        raise ValueError("must be a URL without spaces or control characters")
    if "::" in url.split("/", 1)[0]:
        raise ValueError("transport helpers (such as ext::) are not allowed")
    if _SCP_LIKE.match(url):
        return "ssh"
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    allowed = {"ssh", "https", "file"} | ({"http"} if conf.allow_http() else set())
    if scheme not in allowed:
        raise ValueError(f"must use {', '.join(sorted(allowed))} (got {scheme or 'no scheme'!r})")
    if scheme == "file":
        if parts.netloc or not parts.path.startswith("/"):
            raise ValueError("file:// URLs must name an absolute local path (file:///srv/runbooks.git)")
    elif not parts.hostname or parts.hostname.startswith("-"):
        raise ValueError("must name a host")
    return scheme


def check_ref(value: str, what: str = "branch") -> str:
    """A branch or tag name git itself would accept, and that cannot be read as an option."""
    if (
        not value
        or not _REF.match(value)
        or value.startswith(("-", "/", "."))
        or value.endswith((".", "/", ".lock"))
        or ".." in value
        or "//" in value
        or "@{" in value
    ):
        raise ValueError(f"{value!r} is not a valid {what} name")
    return value


def check_sha(value: str) -> str:
    value = (value or "").strip().lower()
    if not _SHA.match(value):
        raise ValueError("must be a commit id (7 to 40 hexadecimal digits)")
    return value


def check_path(value: str) -> str:
    """A relative folder inside the repository ('' = the whole repository)."""
    value = (value or "").strip().strip("/")
    if not value:
        return ""
    if _CONTROL.search(value) or value.startswith("-") or any(p in ("..", ".") for p in value.split("/")):
        raise ValueError("must be a relative folder inside the repository, without '..'")
    return value


# -- running git ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Remote:
    """Where to fetch from and how to authenticate (decrypted secrets live only in this object)."""

    url: str
    private_key: str = ""
    known_hosts: str = ""
    token: str = ""
    token_username: str = ""
    ca_bundle: str = ""


_SECRET_IN_URL = re.compile(r"(://)[^/@\s]+@")


def _scrub(text: str, remote: Remote | None) -> str:
    text = _SECRET_IN_URL.sub(r"\1***@", text)
    if remote is not None and remote.token:
        text = text.replace(remote.token, "***")
    return text.strip()[-2000:]


class Session:
    """One sync's git workspace: a private temp dir with a bare repository and the auth files."""

    def __init__(self, remote: Remote, root: str):
        self.remote = remote
        self.root = root
        self.repo = os.path.join(root, "repo.git")
        self.env = self._environment()

    def _environment(self) -> dict:
        protocol = protocol_of(self.remote.url)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.root,
            "LANG": "C",
            "LC_ALL": "C",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_ASKPASS": "/bin/false",
            "SSH_ASKPASS": "/bin/false",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_ALLOW_PROTOCOL": protocol,
            "GIT_PROTOCOL_FROM_USER": "0",
            "GIT_LFS_SKIP_SMUDGE": "1",
        }
        config = [("protocol.version", "2"), ("core.hooksPath", os.devnull), ("http.followRedirects", "false")]
        if protocol == "ssh":
            if not self.remote.known_hosts.strip():
                raise GitError("ssh needs a pinned host key: add the server's known_hosts line, "
                               "or trust it on first use")
            known_hosts = self._write("known_hosts", self.remote.known_hosts.strip() + "\n")
            ssh = [
                "ssh",
                "-F", os.devnull,
                "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=yes",
                "-o", f"UserKnownHostsFile={known_hosts}",
                "-o", "GlobalKnownHostsFile=" + os.devnull,
                "-o", "UpdateHostKeys=no",
                "-o", f"ConnectTimeout={conf.connect_timeout()}",
                "-o", "IdentitiesOnly=yes",
            ]
            if self.remote.private_key:
                key = self._write("id_deploy", self.remote.private_key.strip() + "\n")
                ssh += ["-i", key]
            else:
                ssh += ["-o", "IdentityFile=none"]
            env["GIT_SSH_COMMAND"] = shlex.join(ssh)
            env["GIT_SSH_VARIANT"] = "ssh"
        if protocol in ("https", "http"):
            config.append(("http.sslVerify", "true"))  # whatever an environment variable says
            if self.remote.ca_bundle.strip():
                # This call's trust anchors only: the repository's own CA, never verification off.
                env["GIT_SSL_CAINFO"] = self._write("ca.pem", self.remote.ca_bundle.strip() + "\n")
        if protocol in ("https", "http") and self.remote.token:
            pair = f"{self.remote.token_username or 'x-access-token'}:{self.remote.token}"
            header = "Authorization: Basic " + base64.b64encode(pair.encode()).decode()
            config.append(("http.extraHeader", header))
        env["GIT_CONFIG_COUNT"] = str(len(config))
        for i, (key, value) in enumerate(config):
            env[f"GIT_CONFIG_KEY_{i}"] = key
            env[f"GIT_CONFIG_VALUE_{i}"] = value
        return env

    def _write(self, name: str, text: str) -> str:
        path = os.path.join(self.root, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        return path

    def run(self, *args: str, input: bytes | None = None, timeout: float | None = None, cwd: str | None = None,
            max_output: int | None = None) -> bytes:
        argv = ["git", *args]
        try:
            done = subprocess.run(
                argv,
                input=input,
                capture_output=True,
                env=self.env,
                cwd=cwd or self.root,
                timeout=timeout or conf.command_timeout(),
                check=False,
                stdin=None if input is not None else subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise GitError(f"git {args[0]} timed out after {timeout or conf.command_timeout()} s") from None
        except OSError as exc:
            raise GitError(f"git could not be started: {exc.strerror}") from None
        if done.returncode != 0:
            raise GitError(f"git {args[0]} failed: {_scrub(done.stderr.decode(errors='replace'), self.remote)}")
        limit = max_output or conf.max_output_bytes()
        if len(done.stdout) > limit:
            raise GitError(f"git {args[0]} produced more than {limit} bytes")
        return done.stdout

    # -- the operations a sync needs -----------------------------------------------------------------
    def ls_remote(self, ref: str) -> str | None:
        """The commit `ref` (refs/heads/x or refs/tags/x) points at on the server, or None."""
        out = self.run("ls-remote", "--", self.remote.url, ref, f"{ref}^{{}}").decode()
        found = {}
        for line in out.splitlines():
            sha, _, name = line.partition("\t")
            found[name] = sha
        return found.get(f"{ref}^{{}}") or found.get(ref)

    def fetch(self, what: str) -> str:
        """Shallow-fetch one ref or commit id into the workspace; return the commit id fetched."""
        if not os.path.isdir(self.repo):
            self.run("init", "--quiet", "--bare", "--", self.repo)
        self.run("-C", self.repo, "fetch", "--quiet", "--no-tags", "--no-recurse-submodules", "--depth=1",
                 "--", self.remote.url, what, timeout=conf.fetch_timeout())
        out = self.run("-C", self.repo, "rev-parse", "--verify", "--end-of-options", "FETCH_HEAD^{commit}")
        return out.decode().strip()

    def fetch_commit(self, sha: str, branch: str) -> str:
        """Fetch a pinned commit: by id when the server allows it, else the branch's history."""
        try:
            return self.fetch(sha)
        except GitError:
            self.run("-C", self.repo, "fetch", "--quiet", "--no-tags", "--", self.remote.url,
                     f"refs/heads/{branch}", timeout=conf.fetch_timeout())
            full = self.run("-C", self.repo, "rev-parse", "--verify", "--end-of-options", f"{sha}^{{commit}}")
            return full.decode().strip()

    def commit_info(self, sha: str) -> dict:
        out = self.run("-C", self.repo, "show", "-s", "--format=%H%x00%an%x00%ae%x00%cI%x00%B", "--end-of-options", sha)
        full, author, email, when, message = (out.decode(errors="replace").split("\x00", 4) + [""] * 5)[:5]
        return {"sha": full.strip(), "author": f"{author} <{email}>" if email else author,
                "committed_at": when, "message": message.strip()}

    def tree(self, sha: str, path: str) -> list[tuple[str, str, int]]:
        """(path, blob id, size) of every file under `path` at `sha`."""
        args = ["-C", self.repo, "ls-tree", "-r", "-z", "--long", "--full-tree", "--end-of-options", sha]
        if path:
            args += ["--", path]
        out = self.run(*args)
        files = []
        for entry in out.split(b"\0"):
            if not entry:
                continue
            meta, _, name = entry.partition(b"\t")
            mode, kind, blob, size = meta.split()
            if kind != b"blob" or mode == b"120000":  # symlinks could point outside the tree
                continue
            files.append((name.decode("utf-8", errors="surrogateescape"), blob.decode(), int(size)))
        return files

    def blobs(self, blob_ids: list[str]) -> dict[str, bytes]:
        """Read many blobs with one `git cat-file --batch` call."""
        if not blob_ids:
            return {}
        out = self.run("-C", self.repo, "cat-file", "--batch", input="".join(f"{b}\n" for b in blob_ids).encode(),
                       max_output=conf.max_repository_bytes() + 100 * len(blob_ids))
        blobs, pos = {}, 0
        while pos < len(out):
            header_end = out.index(b"\n", pos)
            blob, kind, size = out[pos:header_end].split()
            size = int(size)
            blobs[blob.decode()] = out[header_end + 1: header_end + 1 + size]
            pos = header_end + 1 + size + 1
        return blobs


@contextmanager
def session(remote: Remote):
    """A workspace in a private temp dir (0700), removed afterwards whatever happens."""
    root = tempfile.mkdtemp(prefix="aiops-gitsync-", dir=conf.work_dir())
    try:
        yield Session(remote, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def keyscan(host: str, port: int) -> str:
    """The host keys a server presents, as known_hosts lines (trust on first use; pinned after)."""
    if not re.match(r"^[A-Za-z0-9.:-]+$", host or "") or host.startswith("-"):
        raise GitError("not a host name")
    try:
        done = subprocess.run(
            ["ssh-keyscan", "-T", str(conf.connect_timeout()), "-p", str(int(port)), "-t", "ed25519,ecdsa,rsa",
             "--", host],
            capture_output=True, timeout=conf.connect_timeout() + 5, check=False, stdin=subprocess.DEVNULL,
        )
    except (subprocess.TimeoutExpired, OSError) as exc:
        raise GitError(f"ssh-keyscan failed: {exc}") from None
    lines = [line for line in done.stdout.decode(errors="replace").splitlines() if line and not line.startswith("#")]
    if not lines:
        raise GitError(f"{host}:{port} presented no host key")
    return "\n".join(sorted(lines))


def ssh_host_port(url: str) -> tuple[str, int]:
    match = _SCP_LIKE.match(url)
    if match:
        return match["host"], 22
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or 22
