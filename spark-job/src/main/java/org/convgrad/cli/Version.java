package org.convgrad.cli;

import picocli.CommandLine.IVersionProvider;

/** The version the jar's manifest holds, with the JVM that runs it. */
final class Version implements IVersionProvider {
  @Override
  public String[] getVersion() {
    String v = ConvgradCli.class.getPackage().getImplementationVersion();
    return new String[] {
      "convgrad " + (v == null ? "(development build)" : v),
      "JVM " + System.getProperty("java.vm.name") + " " + System.getProperty("java.version")
    };
  }
}
