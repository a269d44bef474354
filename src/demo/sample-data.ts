/**
 * The demo's sample database: a small shop (customers, products, orders, order lines) with a
 * view, a trigger-maintained column and a procedure, so every kind of object is synced.
 */
export const DEMO_DB = 'shop';

export const SAMPLE_SCHEMA = `
CREATE TABLE customers (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  email VARCHAR(150) NOT NULL UNIQUE,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB;
CREATE TABLE products (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  sku CHAR(8) NOT NULL UNIQUE,
  title VARCHAR(200) NOT NULL,
  price DECIMAL(10,2) NOT NULL,
  stock INT NOT NULL DEFAULT 0,
  attributes JSON NULL
) ENGINE=InnoDB;
CREATE TABLE orders (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer_id INT UNSIGNED NOT NULL,
  status ENUM('new','paid','shipped','cancelled') NOT NULL DEFAULT 'new',
  total DECIMAL(12,2) NOT NULL DEFAULT 0,
  placed_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY (customer_id),
  CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB;
CREATE TABLE order_lines (
  order_id BIGINT UNSIGNED NOT NULL,
  line_no SMALLINT UNSIGNED NOT NULL,
  product_id INT UNSIGNED NOT NULL,
  quantity INT NOT NULL,
  price DECIMAL(10,2) NOT NULL,
  PRIMARY KEY (order_id, line_no)
) ENGINE=InnoDB;
CREATE VIEW order_totals AS
  SELECT o.id, o.customer_id, SUM(l.quantity * l.price) AS total
    FROM orders o JOIN order_lines l ON l.order_id = o.id GROUP BY o.id, o.customer_id;
DELIMITER //
CREATE PROCEDURE restock(IN amount INT)
BEGIN
  UPDATE products SET stock = stock + amount WHERE stock < 10;
END//
DELIMITER ;
`;

/** Deterministic rows: `customers` customers, 50 products, `orders` orders with 1-3 lines each. */
export function sampleData(customers = 200, orders = 1000): string {
  const out: string[] = [];
  const cust = Array.from({ length: customers }, (_, i) => `('Customer ${i + 1}','customer${i + 1}@example.com')`);
  out.push(`INSERT INTO customers (name, email) VALUES ${cust.join(',')};`);
  const prods = Array.from({ length: 50 }, (_, i) => {
    const price = (5 + ((i * 37) % 200)).toFixed(2);
    const attributes = `{"color":"c${i % 7}","weight":${i % 11}}`;
    return `('SKU${String(i + 1).padStart(5, '0')}','Product ${i + 1}',${price},${(i * 13) % 100},'${attributes}')`;
  });
  out.push(`INSERT INTO products (sku, title, price, stock, attributes) VALUES ${prods.join(',')};`);
  const ords: string[] = [];
  const lines: string[] = [];
  for (let o = 1; o <= orders; o += 1) {
    ords.push(`(${o},${1 + ((o * 7) % customers)},'${['new', 'paid', 'shipped'][o % 3]}')`);
    for (let l = 1; l <= 1 + (o % 3); l += 1) {
      const price = (3 + ((o * l) % 90)).toFixed(2);
      lines.push(`(${o},${l},${1 + ((o + l) % 50)},${1 + (l % 4)},${price})`);
    }
  }
  out.push(`INSERT INTO orders (id, customer_id, status) VALUES ${ords.join(',')};`);
  out.push(`INSERT INTO order_lines (order_id, line_no, product_id, quantity, price) VALUES ${lines.join(',')};`);
  out.push('UPDATE orders o SET total = (SELECT SUM(quantity * price) FROM order_lines WHERE order_id = o.id);');
  return out.join('\n');
}
