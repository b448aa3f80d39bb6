// Preloaded (node --require) for ADL's LRS conformance suite: Node >= 19 turned HTTP
// keep-alive on by default and the suite then slows down and stalls mid-run; this restores
// the Node <= 18 behaviour. Harmless on Node 18.
const http = require("http");
const https = require("https");
http.globalAgent = new http.Agent({ keepAlive: false });
https.globalAgent = new https.Agent({ keepAlive: false });
