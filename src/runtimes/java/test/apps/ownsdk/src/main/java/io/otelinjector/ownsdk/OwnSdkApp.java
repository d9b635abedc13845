package io.otelinjector.ownsdk;

import io.javalin.Javalin;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;

/**
 * A service with hand-written OpenTelemetry, the Java shape of the first user's setup: the SDK set up in code
 * from the OTEL_* environment, one server span per request from its own tracer (scope `ownsdk-app`), flushed
 * at shutdown. PORT from the environment; GET /hello/{name}.
 */
public final class OwnSdkApp {
  private OwnSdkApp() {}

  public static void main(String[] args) {
    OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.initialize().getOpenTelemetrySdk();
    Runtime.getRuntime().addShutdownHook(new Thread(sdk::close));
    OpenTelemetry otel = sdk;
    Tracer tracer = otel.getTracer("ownsdk-app");
    int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
    Javalin app = Javalin.create();
    app.get("/hello/{name}", ctx -> {
      Span span = tracer.spanBuilder("GET /hello/{name}").setSpanKind(SpanKind.SERVER)
          .setAttribute("http.route", "/hello/{name}").startSpan();
      try {
        ctx.result("hello " + ctx.pathParam("name"));
      } finally {
        span.end();
      }
    });
    app.start("127.0.0.1", port);
  }
}
