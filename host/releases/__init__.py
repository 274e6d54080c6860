"""Releases of the pad's program and their delivery over the air (issue 14).

    manifest  the manifest format (file sizes and SHA-256s, the release's own hash)
    build     `evalpad pad release`: compile the program into a versioned release
    store     releases kept by the host (files under data_dir/releases, a row each)
    rollout   `evalpad fleet update`: canary first, working hours and prompts respected,
              stops itself when too many pads fail; driven by the running host
    web       /ota/<release>/...: the files over HTTP (Range requests), for the pads
"""
