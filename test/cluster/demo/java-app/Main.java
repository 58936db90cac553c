// Demo workload for the temurin image: an HTTP server on 8080, started with JDWP listening on 5005.
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

public class Main {
  private static int requests = 0;

  public static void main(String[] args) throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress(8080), 0);
    server.createContext("/", exchange -> {
      byte[] body = greeting(exchange.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    System.out.println("java-app listening on :8080 (JDWP on :5005)");
  }

  static synchronized String greeting(String path) {
    requests++;
    return "{\"app\":\"java-app\",\"path\":\"" + path + "\",\"requests\":" + requests + "}\n";
  }
}
