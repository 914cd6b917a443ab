package io.atrium.engine.streaming.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.1 request on a plain socket and its response head, for the refusals of the streaming
 * server (404, 403, 400) and for handshakes a test wants to see byte for byte.
 */
public final class RawHttp {
    private RawHttp() {
    }

    /** Status code, headers (names lower-case, all values) and whatever body arrived before close. */
    public record Response(int status, Map<String, List<String>> headers, String body) {
        public String header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null || v.isEmpty() ? null : v.get(0);
        }
    }

    /** Sends {@code GET url} with {@code headers} (name, value pairs) and reads until the server closes. */
    public static Response get(URI url, String... headers) throws IOException {
        return get(javax.net.SocketFactory.getDefault(), url, headers);
    }

    /** The same over sockets from {@code sockets} (an {@code SSLSocketFactory} for https URLs). */
    public static Response get(javax.net.SocketFactory sockets, URI url, String... headers) throws IOException {
        try (Socket s = sockets.createSocket(url.getHost(), url.getPort())) {
            s.setSoTimeout(20_000);
            StringBuilder req = new StringBuilder("GET " + url.getRawPath()
                    + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery()) + " HTTP/1.1\r\n");
            req.append("Host: ").append(url.getHost()).append(':').append(url.getPort()).append("\r\n");
            for (int i = 0; i + 1 < headers.length; i += 2) {
                req.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
            }
            req.append("\r\n");
            s.getOutputStream().write(req.toString().getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            return read(s.getInputStream());
        }
    }

    static Response read(InputStream in) throws IOException {
        String head = readHead(in);
        String[] lines = head.split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.computeIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                        .add(lines[i].substring(colon + 1).trim());
            }
        }
        String body = "";
        if (status != 101) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            in.transferTo(b);
            body = b.toString(StandardCharsets.UTF_8);
        }
        return new Response(status, headers, body);
    }

    static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed in the response head: " + b.toString(StandardCharsets.US_ASCII));
            }
            b.write(c);
            matched = c == end[matched] ? matched + 1 : (c == '\r' ? 1 : 0);
        }
        return b.toString(StandardCharsets.US_ASCII);
    }
}
