"""The podman sandbox's seccomp profile (container.seccomp_profile): the engine's own, less
new user namespaces. The profile at work is tested in a real kernel by
tests/test_sandbox.py (``unshare --user`` refused)."""

import errno

from autograder.execution.container import CLONE_NEWUSER, seccomp_profile

ENGINE_DEFAULT = {
    "defaultAction": "SCMP_ACT_ERRNO",
    "syscalls": [
        {"names": ["read", "clone", "clone3", "unshare", "write"], "action": "SCMP_ACT_ALLOW",
         "args": []},
        {"name": "unshare", "action": "SCMP_ACT_ALLOW", "args": []},  # an older profile's form
        {"names": ["setns"], "action": "SCMP_ACT_ALLOW", "args": [],
         "includes": {"caps": ["CAP_SYS_ADMIN"]}},
    ],
}


def rules_for(profile, name):
    return [rule for rule in profile["syscalls"] if name in rule["names"]]


def test_clone_and_unshare_are_allowed_only_without_a_new_user_namespace():
    profile = seccomp_profile(ENGINE_DEFAULT)
    assert profile["defaultAction"] == "SCMP_ACT_ERRNO"  # the engine's own default kept
    for name in ("clone", "unshare"):
        allow, refuse = rules_for(profile, name)
        assert allow["action"] == "SCMP_ACT_ALLOW"
        assert allow["args"] == [{"index": 0, "value": CLONE_NEWUSER, "valueTwo": 0,
                                  "op": "SCMP_CMP_MASKED_EQ"}]
        assert refuse["action"] == "SCMP_ACT_ERRNO" and refuse["errnoRet"] == errno.EPERM
        assert refuse["args"] == [{"index": 0, "value": CLONE_NEWUSER,
                                   "valueTwo": CLONE_NEWUSER, "op": "SCMP_CMP_MASKED_EQ"}]
    [rule] = rules_for(profile, "clone3")  # its flags are out of seccomp's reach
    assert rule["action"] == "SCMP_ACT_ERRNO" and rule["errnoRet"] == errno.ENOSYS
    # Everything else as the engine had it.
    assert rules_for(profile, "read") == [{"names": ["read", "write"],
                                           "action": "SCMP_ACT_ALLOW", "args": []}]
    assert rules_for(profile, "setns") == ENGINE_DEFAULT["syscalls"][2:]
    assert all("name" not in rule for rule in profile["syscalls"])
