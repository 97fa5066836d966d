#!/usr/bin/perl
# Keeps the upgrade script of the version under way in step with the install
# script's parts (`make upgrade-parts`): in the upgrade script, each section
#   -- ---- new in X: extension/sql/FILE.sql, as it is ----
# is replaced, up to the next "-- ---- " line, by FILE.sql as it is now, and
# the error_codes view by errors.sql's. Run it only on an unreleased version's
# script: a released one is never edited.
use strict;
use warnings;

my ($script) = @ARGV;
die "usage: $0 extension/versions/boxoffice--A--B.sql\n" unless $script;
sub slurp { my ($f) = @_; open(my $in, '<', $f) or die "$f: $!\n"; local $/; my $s = <$in>; close $in; $s }

my $text = slurp($script);
my $parts = 0;
$text =~ s{^(-- ---- new in [^:]+: (extension/sql/[a-z_]+\.sql), as it is ----\n).*?(?=^-- ---- )}{
  my ($marker, $file) = ($1, $2);
  $parts++;
  my $part = slurp($file);
  $part =~ s/\n+\z/\n/;
  "$marker$part\n"
}gmse;

my $errors = slurp('extension/sql/errors.sql');
my ($view) = $errors =~ /^(CREATE VIEW boxoffice\.error_codes .*?^COMMENT ON VIEW boxoffice\.error_codes [^\n]*\n)/ms
  or die "errors.sql: no error_codes view\n";
$view =~ s/^CREATE VIEW/CREATE OR REPLACE VIEW/;
$text =~ s{^CREATE OR REPLACE VIEW boxoffice\.error_codes .*?^COMMENT ON VIEW boxoffice\.error_codes [^\n]*\n}{$view}ms
  or die "$script: no error_codes view to replace\n";

open(my $out, '>', $script) or die "$script: $!\n";
print $out $text;
close $out;
print "$script: $parts parts and the error codes from extension/sql/\n";
