"""Text kept small in the store: zlib with a preset dictionary of what the fake LMS stores most
(HTTP headers, verdicts, the words of xAPI statements), so even a short record packs well.

A packed value's first byte names the dictionary it was packed with: never change ZDICT_1, add
a ZDICT_2 (and make it the default) if a better one is wanted; old values stay readable.
"""

from __future__ import annotations

import zlib

ZDICT_1 = (
    '{"Host": "127.0.0.1:", "User-Agent": "python-requests/2.32.3", "Accept-Encoding": "gzip,'
    ' deflate", "Accept": "*/*", "Connection": "keep-alive", "Origin": "http://127.0.0.1:",'
    ' "Authorization": "Basic [redacted user=\'", "Authorization": "Basic [redacted]",'
    ' "X-Experience-Api-Version": "1.0.3", "Content-Type": "application/json; charset=utf-8",'
    ' "Content-Type": "multipart/mixed; boundary=", "Content-Length": "'
    '{"Content-Type": "application/json", "Content-Length": "", "X-Experience-API-Version":'
    ' "1.0.3", "X-Experience-API-Version": "2.0.0", "ETag": "\\"", "Last-Modified": "'
    '"X-Experience-API-Consistent-Through": "2026-01-01T00:00:00.000000Z",'
    ' "Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "ETag, Last-Modified,'
    ' Content-Type, X-Experience-API-Version, X-Experience-API-Consistent-Through"}'
    '{"error": {"status": 400, "message": "invalid statement: ", "section": "xAPI-D \u00a72.4",'
    ' "path": "$[0].", "violations": [{"path": "$.", "rule": "", "section": "xAPI-D'
    " \u00a72.4."
    '"verdict": "not stored (batch rejected)", "statements": , "violations": []}'
    '"verdict": "rejected", "violations": [{"path": '
    '{"id":"","actor":{"objectType":"Agent","account":{"homePage":"https://","name":""}},'
    '"actor":{"objectType":"Agent","mbox":"mailto:@example.com","name":""},'
    '"verb":{"id":"http://adlnet.gov/expapi/verbs/initialized","display":{"en-US":"initialized"}},'
    '"verb":{"id":"http://adlnet.gov/expapi/verbs/terminated","display":{"en-US":"terminated"}},'
    '"verb":{"id":"http://adlnet.gov/expapi/verbs/passed","display":{"en-US":"passed"}},'
    '"verb":{"id":"http://adlnet.gov/expapi/verbs/failed","display":{"en-US":"failed"}},'
    '"verb":{"id":"http://adlnet.gov/expapi/verbs/experienced","display":{"en-US":"experienced"}},'
    '"verb":{"id":"http://adlnet.gov/expapi/verbs/completed","display":{"en-US":"completed"}},'
    '"object":{"id":"https://","objectType":"Activity","definition":{"type":'
    '"http://adlnet.gov/expapi/activities/lesson","name":{"en-US":""},"description":{"en-US":'
    '"result":{"completion":true,"success":true,"score":{"scaled":0.,"raw":,"min":0,"max":100},'
    '"duration":"PT0M0.0S"},"timestamp":"2026-01-01T00:00:00.000Z",'
    '"context":{"registration":"","contextActivities":{"grouping":[{"id":"https://"}],'
    '"category":[{"id":"https://w3id.org/xapi/cmi5/context/categories/moveon"},'
    '{"id":"https://w3id.org/xapi/cmi5/context/categories/cmi5"}]},"extensions":'
    '{"https://w3id.org/xapi/cmi5/context/extensions/sessionid":""}}}'
    '{"id": "", "actor": {"objectType": "Agent", "account": {"homePage": "https://", "name": ""}},'
    ' "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US":'
    ' "completed"}}, "object": {"id": "https://", "objectType": "Activity", "definition":'
    ' {"type": "http://adlnet.gov/expapi/activities/lesson", "name": {"en-US": ""}}},'
    ' "result": {"completion": true, "duration": "PT"}, "timestamp": "2026-01-01T00:00:00.000Z",'
    ' "context": {"registration": "", "contextActivities": {"grouping": [{"id": "https://"}],'
    ' "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}]},'
    ' "extensions": {"https://w3id.org/xapi/cmi5/context/extensions/sessionid": ""}}}'
    '[{"statement": "", "verdict": "accepted"}, {"statement": "", "verdict": "accepted"}]'
).encode()
_DICTS = {1: ZDICT_1}
DEFAULT = 1
# A compressor and decompressor primed with each dictionary: copying one is cheaper than loading
# the dictionary again for every value (zlib objects are safe to copy from many threads).
# Level 1 with an 8 KB window and little memory: a copy costs ~15 us, a quarter of the default
# state's, and packs a typical statement nearly as small (records are short; the window holds
# the dictionary and the record).
_COMPRESSORS = {k: zlib.compressobj(1, zlib.DEFLATED, 13, 4, zdict=d) for k, d in _DICTS.items()}
_DECOMPRESSORS = {k: zlib.decompressobj(zdict=d) for k, d in _DICTS.items()}


def pack(data: bytes, dictionary: int = DEFAULT) -> bytes:
    """`data` compressed with preset dictionary `dictionary`, whose number comes first."""
    compressor = _COMPRESSORS[dictionary].copy()
    return bytes([dictionary]) + compressor.compress(data) + compressor.flush()


def unpack(packed: bytes) -> bytes:
    """The bytes `pack` packed."""
    decompressor = _DECOMPRESSORS[packed[0]].copy()
    return decompressor.decompress(packed[1:]) + decompressor.flush()
