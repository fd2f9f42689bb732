"""Writes the Lambda event fixtures: one POST /image each, as API Gateway REST (v1, base64
multipart body, stage "dev"), HTTP API (v2) and a Function URL deliver it, and the REST API's
GET of the module with the headers Chromium sends. The image is a
640x512 PNG drawn here, so the fixtures carry no third-party pixels.

Run from this directory: python3 make_events.py (standard library only).
"""

import base64
import json
import struct
import zlib

BOUNDARY = "resize-image-fixture-boundary"
WIDTH, HEIGHT = 640, 512


def png() -> bytes:
    def row(y: int) -> bytes:
        pixels = bytes(v for x in range(WIDTH) for v in (x * 255 // WIDTH, y * 255 // HEIGHT, (x ^ y) & 0xFF))
        # PNG filter 1 (Sub): each byte minus the one a pixel to its left; gradients shrink to almost nothing.
        return b"\x01" + bytes((pixels[i] - (pixels[i - 3] if i >= 3 else 0)) & 0xFF for i in range(len(pixels)))

    rows = b"".join(row(y) for y in range(HEIGHT))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def multipart(key: str) -> bytes:
    return b"".join([
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"s3Key\"\r\n\r\n{key}\r\n".encode(),
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"gradient.png\"\r\n"
        "Content-Type: image/png\r\n\r\n".encode(),
        png(),
        f"\r\n--{BOUNDARY}--\r\n".encode(),
    ])


def headers(body: bytes, host: str) -> dict:
    return {
        "accept": "*/*",
        "content-length": str(len(body)),
        "content-type": f"multipart/form-data; boundary={BOUNDARY}",
        "host": host,
        "user-agent": "curl/8.5.0",
        "x-forwarded-for": "198.51.100.7",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }


REST_HOST = "abc123defg.execute-api.us-east-1.amazonaws.com"

# What Chromium sends for the demo's `fetch()` of the module: binaryMediaTypes must match it.
BROWSER_HEADERS = {
    "accept": "*/*",
    "accept-encoding": "gzip, deflate, br, zstd",
    "accept-language": "en-GB,en;q=0.9",
    "host": REST_HOST,
    "referer": f"https://{REST_HOST}/dev/",
    "sec-fetch-dest": "empty",
    "sec-fetch-mode": "cors",
    "sec-fetch-site": "same-origin",
    "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
    "x-forwarded-for": "198.51.100.7",
    "x-forwarded-port": "443",
    "x-forwarded-proto": "https",
}


def rest_v1(method: str, resource: str, path: str, h: dict, body) -> dict:
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": h,
        "multiValueHeaders": {k: [v] for k, v in h.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123defg",
            "domainName": REST_HOST,
            "domainPrefix": "abc123defg",
            "httpMethod": method,
            "identity": {"sourceIp": "198.51.100.7", "userAgent": h["user-agent"]},
            "path": f"/dev{path}",
            "protocol": "HTTP/1.1",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "requestTime": "25/Nov/2026:12:00:00 +0000",
            "requestTimeEpoch": 1795608000000,
            "resourceId": "a1b2c3",
            "resourcePath": resource,
            "stage": "dev",
        },
        "body": body and base64.b64encode(body).decode(),
        "isBase64Encoded": body is not None,
    }


def rest_v1_post() -> dict:
    body = multipart("events/rest-v1.png")
    return rest_v1("POST", "/image", "/image", headers(body, REST_HOST), body)


def rest_v1_get_wasm() -> dict:
    event = rest_v1("GET", "/wasm/{file}", "/wasm/resize_wasm_bg.wasm", BROWSER_HEADERS, None)
    event["pathParameters"] = {"file": "resize_wasm_bg.wasm"}
    return event


def v2(key: str, host: str, route_key: str, api_id: str) -> dict:
    body = multipart(key)
    return {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": "/image",
        "rawQueryString": "",
        "headers": headers(body, host),
        "requestContext": {
            "accountId": "123456789012",
            "apiId": api_id,
            "domainName": host,
            "domainPrefix": api_id,
            "http": {
                "method": "POST",
                "path": "/image",
                "protocol": "HTTP/1.1",
                "sourceIp": "198.51.100.7",
                "userAgent": "curl/8.5.0",
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": route_key,
            "stage": "$default",
            "time": "25/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1795608000000,
        },
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
    }


EVENTS = {
    "rest-v1.json": rest_v1_post(),
    "rest-v1-get-wasm.json": rest_v1_get_wasm(),
    "http-v2.json": v2("events/http-v2.png", "r3pmxmplak.execute-api.us-east-1.amazonaws.com", "POST /image", "r3pmxmplak"),
    "function-url.json": v2(
        "events/function-url.png", "f7xmpl3a2b.lambda-url.us-east-1.on.aws", "$default", "f7xmpl3a2b"
    ),
}

for name, event in EVENTS.items():
    with open(name, "w") as out:
        json.dump(event, out, indent=2)
        out.write("\n")
