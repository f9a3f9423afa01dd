"""Manifests: YAML files -> validated, frozen models of the desired state, each problem with
file:line:col. Pure: reads only the files it is given, never the network."""
