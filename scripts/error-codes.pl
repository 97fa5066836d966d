#!/usr/bin/perl
# The error catalogue (extension/sql/errors.sql) as what other parts need,
# generated at build time so that the view stays the one source:
#   error-codes.pl extension-header errors.sql > sqlstates.hpp   the extension's C++ constants
#   error-codes.pl shim-header errors.sql > error_catalogue.hpp  the shim's code -> status table
#   error-codes.pl readme errors.sql README.md [--check]         rewrites (or checks) the README's
#                                                                 tables between their markers
use strict;
use warnings;

my ($mode, $source, $readme, $check) = @ARGV;
die "usage: $0 extension-header|shim-header|readme errors.sql [README.md [--check]]\n" unless $mode && $source;

my @codes;  # [sqlstate, name, status, meaning]
open(my $in, '<', $source) or die "$source: $!\n";
while (<$in>) {
  next unless /^\s*\('(TK\d{3})',\s*'([a-z_]+)',\s*(\d{3}),\s*'((?:[^']|'')*)'\)[,;]\s*$/;
  my @code = ($1, $2, $3, $4);
  $code[3] =~ s/''/'/g;
  push @codes, [@code];
}
close $in;
die "$source: no error codes found\n" unless @codes;
my %seen;
for (@codes) {
  die "$source: $_->[0] or $_->[1] is listed twice\n" if $seen{$_->[0]}++ || $seen{$_->[1]}++;
}
my $banner = "// Generated from extension/sql/errors.sql by scripts/error-codes.pl: edit that file, not this one.\n";

if ($mode eq 'extension-header') {
  print $banner, "#pragma once\n\nnamespace boxoffice::sqlstate {\n\n";
  for (@codes) {
    my @c = split //, substr($_->[0], 2);
    print "constexpr int $_->[1] = MAKE_SQLSTATE('T', 'K', '$c[0]', '$c[1]', '$c[2]');\n";
  }
  print "\n}  // namespace boxoffice::sqlstate\n";
} elsif ($mode eq 'shim-header') {
  print $banner, "#pragma once\n\nnamespace shim::error_catalogue {\n\n",
        "struct Entry {\n  const char* sqlstate;\n  const char* name;\n  int http_status;\n  const char* meaning;\n};\n\n",
        "inline constexpr Entry entries[] = {\n";
  for (@codes) {
    (my $meaning = $_->[3]) =~ s/(["\\])/\\$1/g;
    print "    {\"$_->[0]\", \"$_->[1]\", $_->[2], \"$meaning\"},\n";
  }
  print "};\n\n";
  print "inline constexpr const char* $_->[1] = \"$_->[0]\";\n" for @codes;
  print "\n}  // namespace shim::error_catalogue\n";
} elsif ($mode eq 'readme') {
  die "readme mode needs the README's path\n" unless $readme;
  my $catalogue = "| SQLSTATE | name | HTTP | raised when |\n|---|---|---|---|\n";
  $catalogue .= "| $_->[0] | $_->[1] | $_->[2] | $_->[3] |\n" for @codes;
  my (%by_status, @statuses);
  for (@codes) {
    push @statuses, $_->[2] unless $by_status{$_->[2]};
    push @{$by_status{$_->[2]}}, "$_->[0] $_->[1]";
  }
  my $statuses = "| SQLSTATE | status |\n|---|---|\n";
  $statuses .= "| " . join(', ', @{$by_status{$_}}) . " | $_ |\n" for sort @statuses;
  local $/;
  open(my $r, '<', $readme) or die "$readme: $!\n";
  my $text = <$r>;
  close $r;
  my $new = $text;
  for ([catalogue => $catalogue], ['http statuses' => $statuses]) {
    my ($name, $table) = @$_;
    my ($begin, $end) = ("<!-- error codes: $name (generated from extension/sql/errors.sql) -->\n",
                         "<!-- error codes: $name end -->\n");
    $new =~ s/\Q$begin\E.*?\Q$end\E/$begin$table$end/s or die "$readme: no markers for the $name table\n";
  }
  if (($check // '') eq '--check') {
    if ($new ne $text) { print STDERR "$readme: the error tables disagree with $source (make readme-tables)\n"; exit 1; }
  } elsif ($new ne $text) {
    open(my $w, '>', $readme) or die "$readme: $!\n";
    print $w $new;
    close $w;
  }
} else {
  die "unknown mode $mode\n";
}
