package org.convgrad.notebooks;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

/**
 * A paragraph's {@code %table} and {@code %html <img>} results as PNG files, drawn the way
 * Zeppelin shows them (a header row and rows of cells; the picture itself), so that the README
 * shows what a run of the notes shows.
 */
final class Renders {
  private static final Pattern IMG = Pattern.compile("%html <img src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"");

  private Renders() {}

  static void save(Path dir, String name, String output) throws IOException {
    String file = name.replaceAll("[^A-Za-z0-9]+", "-").replaceAll("(^-|-$)", "").toLowerCase();
    Matcher img = IMG.matcher(output);
    if (img.find()) {
      Files.createDirectories(dir);
      Files.write(dir.resolve(file + ".png"), Base64.getDecoder().decode(img.group(1)));
      return;
    }
    int at = output.indexOf("%table ");
    if (at < 0) {
      return;
    }
    List<String[]> rows = new ArrayList<>();
    for (String line : output.substring(at + "%table ".length()).split("\n")) {
      if (line.isBlank() || !line.contains("\t")) {
        break; // the table ends where the REPL's own echo starts
      }
      rows.add(line.split("\t", -1));
    }
    Files.createDirectories(dir);
    ImageIO.write(table(rows), "png", dir.resolve(file + ".png").toFile());
  }

  private static BufferedImage table(List<String[]> rows) {
    Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
    Font bold = font.deriveFont(Font.BOLD);
    int columns = rows.stream().mapToInt(r -> r.length).max().orElse(1);
    BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
    Graphics2D pg = probe.createGraphics();
    FontMetrics fm = pg.getFontMetrics(bold);
    int[] widths = new int[columns];
    for (String[] r : rows) {
      for (int c = 0; c < r.length; c++) {
        widths[c] = Math.max(widths[c], fm.stringWidth(r[c]) + 24);
      }
    }
    pg.dispose();
    int rowHeight = fm.getHeight() + 12;
    int width = java.util.Arrays.stream(widths).sum() + 1;
    int height = rowHeight * rows.size() + 1;
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, width, height);
    for (int r = 0; r < rows.size(); r++) {
      int y = r * rowHeight;
      g.setColor(r == 0 ? new Color(0xE8EEF4) : r % 2 == 0 ? new Color(0xF7F7F7) : Color.WHITE);
      g.fillRect(0, y, width, rowHeight);
      g.setColor(new Color(0xD0D0D0));
      g.drawLine(0, y, width, y);
      g.setFont(r == 0 ? bold : font);
      g.setColor(Color.BLACK);
      int x = 0;
      for (int c = 0; c < rows.get(r).length; c++) {
        g.drawString(rows.get(r)[c], x + 12, y + rowHeight - 8 - fm.getDescent());
        x += widths[c];
      }
    }
    g.setColor(new Color(0xD0D0D0));
    g.drawRect(0, 0, width - 1, height - 1);
    g.dispose();
    return img;
  }
}
