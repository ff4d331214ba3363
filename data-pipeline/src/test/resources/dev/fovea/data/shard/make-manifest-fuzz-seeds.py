#!/usr/bin/env python3
"""Writes ManifestFuzzTestInputs/manifest: the version-1 fixture manifest, a version-2 JPEG variant, and
damaged copies (paths leaving the shard set, negative and inconsistent counts, a rank-2 shape, a shape
overflowing an int, a fractional version, an integer past 2^32). Run from this folder."""
import json

FIXTURE = '../../../../fixtures/fashion-mnist-v1/manifest.json'
OUT = 'ManifestFuzzTestInputs/manifest/'
base = json.load(open(FIXTURE))


def copy():
    return json.loads(json.dumps(base))


def w(name, m, raw=None):
    open(OUT + name, 'w').write(raw if raw is not None else json.dumps(m, indent=1))


w('valid-v1.json', base)
v2 = copy()
v2.update(version=2, encoding='jpeg', sample_shape=[3, 0, 0], mean=[0.5, 0.4, 0.3], std=[0.2, 0.2, 0.2],
          options={'quality': '90'},
          report={'scanned': 41, 'bad_images': 1, 'bad_examples': ['x.jpg: truncated'], 'non_image_files': {},
                  'empty_classes': []})
w('valid-v2-jpeg.json', v2)
m = copy(); m['shards'][0]['file'] = '../../etc/passwd'; w('dotdot-path.json', m)
m = copy(); m['shards'][1]['file'] = '/etc/passwd'; w('absolute-path.json', m)
m = copy(); m['count'] = -40; w('negative-count.json', m)
m = copy(); m['shards'][0]['rows'] = 2000000000; w('inconsistent-rows.json', m)
m = copy(); m['sample_shape'] = [1, 28]; w('rank-2-shape.json', m)
m = copy(); m['sample_shape'] = [65536, 65536, 65536]; w('huge-shape.json', m)
w('fractional-version.json', None, json.dumps(base).replace('"version": 1', '"version": 1.9'))
w('int-overflow-shape.json', None,
  json.dumps(base).replace('"sample_shape": [1, 28, 28]', '"sample_shape": [4294967297, 28, 28]'))
