package io.otelinjector.shop;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.rabbit.annotation.RabbitListener;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

import java.util.Map;

/** One request touches PostgreSQL (JDBC), Redis (Lettuce) and RabbitMQ (Spring AMQP), and logs. */
@SpringBootApplication
@RestController
public class ShopApplication {
  static final String QUEUE = "shop-orders";
  private static final Logger log = LoggerFactory.getLogger(ShopApplication.class);

  private final JdbcTemplate jdbc;
  private final StringRedisTemplate redis;
  private final RabbitTemplate rabbit;

  public ShopApplication(JdbcTemplate jdbc, StringRedisTemplate redis, RabbitTemplate rabbit) {
    this.jdbc = jdbc;
    this.redis = redis;
    this.rabbit = rabbit;
  }

  public static void main(String[] args) {
    SpringApplication.run(ShopApplication.class, args);
  }

  @Bean
  Queue orders() {
    return new Queue(QUEUE, false);
  }

  @GetMapping("/health")
  public String health() {
    return "ok";
  }

  @GetMapping("/items/{id}")
  public Map<String, Object> item(@PathVariable("id") int id) {
    Integer answer = jdbc.queryForObject("SELECT ? + 1", Integer.class, id);
    redis.opsForValue().set("item:" + id, String.valueOf(answer));
    String cached = redis.opsForValue().get("item:" + id);
    rabbit.convertAndSend(QUEUE, "order " + id);
    log.info("item {} served", id);
    return Map.of("id", id, "answer", answer, "cached", cached);
  }

  @RabbitListener(queues = QUEUE)
  public void onOrder(String body) {
    log.info("received {}", body);
  }
}
